/**
 * The optional generator host under Pulumi mocks: with `generator.enabled` a third VM in the
 * sender's VPC and subnet, its own group (SSH from the operator; out only packages, DNS, NTP and
 * the sender's submission port), the sender's group admitting it on that port alone, its outputs
 * read back by the scripts; disabled (the default), none of it. Every resource passes the policy pack.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { stackOutputsSchema } from "../../lab-config/stack-outputs";
import { KUMOLAB_POLICIES } from "../../policy-pack/policies";
import { hostsFromStackOutputs } from "../../scripts/hosts/from-stack";
import { labConfig, runLab, TEST_OPERATOR_CIDR, type LabRun } from "./lab-fixture";
import { MOCK_AMI, MOCK_SENDER_EIP, MOCK_SENDER_PRIVATE_IP, type RecordedResource } from "./lab-mocks";
import { verdict } from "./policy-harness";

type Obj = Record<string, unknown>;
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const SG = "aws:ec2/securityGroup:SecurityGroup";
const INSTANCE = "aws:ec2/instance:Instance";

describe("generator enabled", () => {
  let run: LabRun;
  const named = (type: string, name: string): RecordedResource => {
    const r = run.mocks.ofType(type).find((x) => x.name === name);
    if (!r) throw new Error(`no ${type} ${name}: ${run.mocks.ofType(type).map((x) => x.name).join(", ")}`);
    return r;
  };
  beforeAll(async () => {
    run = await runLab(labConfig({ "kumolab:generator": JSON.stringify({ enabled: true, instanceType: "c5.xlarge", vcpu: 4, ramGiB: 8, arch: "x86_64" }) }));
  });

  test("a third VM of the configured type, in the sender's subnet, booting the lab's cloud-init as 'generator'", () => {
    const names = run.mocks.resources.filter((r) => r.name.startsWith("generator") || r.name.includes("generator-host")).map((r) => `${r.type} ${r.name}`);
    expect(names.sort()).toEqual(
      [
        "aws:ec2/eip:Eip generator-eip",
        "aws:ec2/eipAssociation:EipAssociation generator-eip-assoc",
        "aws:ec2/instance:Instance generator-instance-x86_64",
        "aws:ec2/keyPair:KeyPair generator-login",
        "aws:ec2/networkInterface:NetworkInterface generator-eni",
        "aws:ec2/securityGroup:SecurityGroup generator-sg",
        "kumolab:aws:Generator generator",
        "tls:index/privateKey:PrivateKey lab-keys-generator-host",
      ].sort(),
    );
    const vm = named(INSTANCE, "generator-instance-x86_64");
    expect(vm.inputs["instanceType"]).toBe("c5.xlarge");
    expect(vm.inputs["ami"]).toBe(MOCK_AMI.x86_64);
    expect(vm.inputs["instanceInitiatedShutdownBehavior"]).toBe("terminate");
    const eni = named("aws:ec2/networkInterface:NetworkInterface", "generator-eni");
    const senderEni = named("aws:ec2/networkInterface:NetworkInterface", "sender-eni");
    expect(eni.inputs["subnetId"]).toBe(senderEni.inputs["subnetId"]);
    expect(eni.inputs["securityGroups"]).toEqual(["generator-sg-id"]);
    const userData = Buffer.from(String(vm.inputs["userDataBase64"]), "base64").toString("utf8");
    expect(userData).toMatch(/^hostname: kumolab-generator$/m);
    // The same port-25 nftables block as every lab VM, and the user data kept secret (it holds the host key).
    expect(userData).toContain("tcp dport { 25, 465, 587 }");
    expect(vm.secretPaths).toContain("userDataBase64");
    // It powers itself off at expiresAt read from EC2's metadata (IMDSv2), not Azure's: AWS then terminates it.
    expect(userData).toContain("X-aws-ec2-metadata-token");
    expect(userData).not.toContain("Metadata:true");
  });

  test("its group: SSH from the operator; out only HTTP(S), DNS, NTP and port 2025 to the sender's subnet", () => {
    const sg = named(SG, "generator-sg");
    expect(arr(sg.inputs["ingress"])).toEqual([expect.objectContaining({ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [TEST_OPERATOR_CIDR] })]);
    const egress = arr(sg.inputs["egress"]).map((r) => `${r["protocol"]} ${r["fromPort"]}-${r["toPort"]} ${JSON.stringify(r["cidrBlocks"])}`);
    expect(egress.sort()).toEqual(
      [
        'tcp 80-80 ["0.0.0.0/0"]',
        'tcp 443-443 ["0.0.0.0/0"]',
        'udp 53-53 ["0.0.0.0/0"]',
        'tcp 53-53 ["0.0.0.0/0"]',
        'udp 123-123 ["0.0.0.0/0"]',
        // The sender's subnet (lab-config: infra/aws-network.ts 10.42.1.0/24), never port 25.
        'tcp 2025-2025 ["10.42.1.0/24"]',
      ].sort(),
    );
  });

  test("the sender's group admits the generator's group on 2025 and nothing else new", () => {
    const ingress = arr(named(SG, "sender-sg").inputs["ingress"]);
    expect(ingress).toEqual([
      expect.objectContaining({ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [TEST_OPERATOR_CIDR] }),
      expect.objectContaining({ protocol: "tcp", fromPort: 2025, toPort: 2025, securityGroups: ["generator-sg-id"] }),
    ]);
    expect(ingress[1]).not.toHaveProperty("cidrBlocks");
  });

  test("outputs: the generator's VM, read back by the scripts as a third host reaching the sender privately", () => {
    const outputs = stackOutputsSchema.parse(run.outputs);
    expect(outputs.generator).toMatchObject({ publicIp: MOCK_SENDER_EIP, privateIp: MOCK_SENDER_PRIVATE_IP, size: "c5.xlarge", vcpu: 4, ramGiB: 8, region: "us-west-2" });
    expect(outputs.generator?.hostPublicKey).toMatch(/^ssh-ed25519 /);
    const hosts = hostsFromStackOutputs(outputs);
    expect(hosts.generator?.host.role).toBe("generator");
    expect(hosts.generator?.senderAddress).toBe(outputs.sender.privateIp);
    expect(hosts.generator?.addressSeenBySender).toBe(outputs.generator?.privateIp);
  });

  test("every resource passes every policy of the pack", async () => {
    for (const r of run.mocks.resources) {
      for (const p of KUMOLAB_POLICIES) expect(await verdict(p, r.type, r.inputs), `${p.name} on ${r.type} ${r.name}`).toEqual([]);
    }
  });
});

describe("generator disabled (the default)", () => {
  test("no third VM, no extra rule, no output", async () => {
    const run = await runLab(labConfig());
    expect(run.mocks.resources.filter((r) => r.name.includes("generator"))).toEqual([]);
    expect(run.mocks.ofType(INSTANCE)).toHaveLength(1);
    expect(arr(run.mocks.one(SG).inputs["ingress"])).toHaveLength(1);
    expect(stackOutputsSchema.parse(run.outputs).generator).toBeUndefined();
    expect(hostsFromStackOutputs(run.outputs).generator).toBeUndefined();
  });
});
