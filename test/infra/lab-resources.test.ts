/**
 * The default lab under Pulumi mocks: every invariant of the issue asserted on the inputs the
 * program actually hands to each resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, test } from "vitest";
import { stackOutputsSchema } from "../../lab-config/stack-outputs";
import { labConfig, runLab, TEST_OPERATOR_CIDR, type LabRun } from "./lab-fixture";
import { MOCK_AMI, MOCK_CREATED_AT, MOCK_SENDER_EIP, MOCK_SINK_IP, type RecordedResource } from "./lab-mocks";

type Obj = Record<string, unknown>;
const SMTP = [25, 465, 587];

let run: LabRun;
beforeAll(async () => {
  run = await runLab(labConfig());
});

const one = (type: string): RecordedResource => run.mocks.one(type);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

describe("resources", () => {
  test("the default config builds exactly the lab's resources", () => {
    const custom = run.mocks.resources.filter((r) => !r.type.startsWith("kumolab:")).map((r) => `${r.type} ${r.name}`);
    expect(custom.sort()).toEqual(
      [
        "aws:ec2/eip:Eip sender-net-sender-eip",
        "aws:ec2/eipAssociation:EipAssociation sender-eip-assoc",
        "aws:ec2/instance:Instance sender-instance-x86_64",
        "aws:ec2/internetGateway:InternetGateway sender-net-igw",
        "aws:ec2/keyPair:KeyPair sender-login",
        "aws:ec2/networkInterface:NetworkInterface sender-eni",
        "aws:ec2/route:Route sender-net-default-route",
        "aws:ec2/routeTable:RouteTable sender-net-rt",
        "aws:ec2/routeTableAssociation:RouteTableAssociation sender-net-rta",
        "aws:ec2/securityGroup:SecurityGroup sender-sg",
        "aws:ec2/subnet:Subnet sender-net-subnet",
        "aws:ec2/vpc:Vpc sender-net-vpc",
        "azure-native:compute:VirtualMachine sink-vm",
        "azure-native:devtestlab:GlobalSchedule sink-auto-shutdown",
        "azure-native:network:NetworkInterface sink-nic",
        "azure-native:network:NetworkSecurityGroup sink-nsg",
        "azure-native:network:PublicIPAddress sink-net-sink-ip",
        "azure-native:network:Subnet sink-net-subnet",
        "azure-native:network:VirtualNetwork sink-net-vnet",
        "azure-native:resources:ResourceGroup sink-net-rg",
        "pulumi:providers:aws aws",
        "tls:index/privateKey:PrivateKey lab-keys-login",
        "tls:index/privateKey:PrivateKey lab-keys-sender-host",
        "tls:index/privateKey:PrivateKey lab-keys-sink-host",
        "tls:index/selfSignedCert:SelfSignedCert lab-clock-record",
      ].sort(),
    );
    // Only the standalone-rule styles the pitfalls forbid mixing are absent.
    expect(run.mocks.ofType("aws:ec2/securityGroupRule:SecurityGroupRule")).toEqual([]);
    expect(run.mocks.ofType("azure-native:network:SecurityRule")).toEqual([]);
  });

  test("every AWS resource goes through the lab's provider, in the configured region", () => {
    expect(one("pulumi:providers:aws").inputs["region"]).toBe("us-west-2");
    for (const r of run.mocks.resources.filter((x) => x.type.startsWith("aws:"))) {
      expect(r.provider, `${r.type} ${r.name}`).toMatch(/pulumi:providers:aws::aws::/);
    }
    const ami = run.mocks.calls.find((c) => c.token === "aws:ec2/getAmi:getAmi");
    expect(ami?.inputs["owners"]).toEqual(["099720109477"]);
  });

  test("the stack outputs satisfy the infra→scripts contract", () => {
    const parsed = stackOutputsSchema.parse(run.outputs);
    expect(parsed.sender).toMatchObject({ publicIp: MOCK_SENDER_EIP, size: "c5.large", vcpu: 2, ramGiB: 4, region: "us-west-2" });
    expect(parsed.sink).toMatchObject({ publicIp: MOCK_SINK_IP, size: "Standard_F8s_v2", vcpu: 8, ramGiB: 16, region: "westus2" });
    expect(parsed.sinkPort).toBe(2525);
    expect(parsed.senderSizeId).toBe("c2-r4");
    expect(parsed.expiresAt).toBe("2026-03-01T16:00:00.000Z"); // creation + 4 h TTL
    expect(parsed.sender.hostPublicKey).not.toBe(parsed.sink.hostPublicKey);
  });

  test("the SSH private key output is a secret", async () => {
    expect(await pulumi.isSecret(run.lab.outputs.sshPrivateKey)).toBe(true);
  });
});

describe("AWS sender", () => {
  test("security group egress never covers TCP 25/465/587 and has no all-ports rule", () => {
    const egress = arr(one("aws:ec2/securityGroup:SecurityGroup").inputs["egress"]);
    expect(egress.length).toBeGreaterThan(0);
    for (const r of egress) {
      expect(r["protocol"], JSON.stringify(r)).not.toMatch(/^(-1|all)$/);
      const from = r["fromPort"] as number;
      const to = r["toPort"] as number;
      for (const p of SMTP) expect(from <= p && p <= to, `${JSON.stringify(r)} covers ${p}`).toBe(false);
    }
  });

  test("the sink port is open only towards the sink's public IP", () => {
    const egress = arr(one("aws:ec2/securityGroup:SecurityGroup").inputs["egress"]);
    const toSinkPort = egress.filter((r) => (r["fromPort"] as number) <= 2525 && 2525 <= (r["toPort"] as number));
    expect(toSinkPort).toEqual([expect.objectContaining({ protocol: "tcp", fromPort: 2525, toPort: 2525, cidrBlocks: [`${MOCK_SINK_IP}/32`] })]);
  });

  test("ingress admits SSH from the operator only", () => {
    const ingress = arr(one("aws:ec2/securityGroup:SecurityGroup").inputs["ingress"]);
    expect(ingress).toEqual([expect.objectContaining({ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [TEST_OPERATOR_CIDR] })]);
  });

  test("instance: the selected type, the AMI for its architecture, root volume from config, user data only as a secret base64", async () => {
    const instance = one("aws:ec2/instance:Instance").inputs;
    expect(instance["instanceType"]).toBe("c5.large");
    expect(instance["ami"]).toBe(MOCK_AMI.x86_64);
    expect(instance["rootBlockDevice"]).toMatchObject({ volumeSize: 30, encrypted: true });
    // Boots on its own network interface (which wears the Elastic IP): no public IP of its own.
    expect(instance["associatePublicIpAddress"]).toBeUndefined();
    expect(instance["primaryNetworkInterface"]).toEqual({ networkInterfaceId: "sender-eni-id" });
    expect(instance["userData"]).toBeUndefined(); // v7 keeps userData in plain text in state
    const cloudInit = Buffer.from(instance["userDataBase64"] as string, "base64").toString("utf8");
    expect(cloudInit.startsWith("#cloud-config\n")).toBe(true);
    expect(one("aws:ec2/instance:Instance").secretPaths).toContain("userDataBase64");
    expect(instance["keyName"]).toBe("sender-login-keyname");
  });

  test("the Elastic IP is associated with the sender's network interface (so it is there at boot), and the subnet hands out no other public IP", () => {
    expect(one("aws:ec2/eipAssociation:EipAssociation").inputs).toMatchObject({ allocationId: "eipalloc-sender-net-sender-eip", networkInterfaceId: "sender-eni-id" });
    expect(one("aws:ec2/subnet:Subnet").inputs["mapPublicIpOnLaunch"]).toBe(false);
    expect(one("aws:ec2/route:Route").inputs).toMatchObject({ destinationCidrBlock: "0.0.0.0/0", gatewayId: "sender-net-igw-id" });
    expect(one("aws:ec2/keyPair:KeyPair").inputs["publicKey"]).toMatch(/^ssh-ed25519 /);
  });
});

describe("Azure sink", () => {
  const rules = (): Obj[] => arr(one("azure-native:network:NetworkSecurityGroup").inputs["securityRules"]);

  test("outbound TCP 25/465/587 is denied before any outbound allow", () => {
    // The NSG's only outbound rule is the deny: the lab adds no outbound Allow, so what else goes
    // out does so through Azure's default rules (AllowVnetOutBound 65000, AllowInternetOutBound
    // 65001 — learn.microsoft.com, "Network security groups", default security rules), all after it.
    const outbound = rules().filter((r) => r["direction"] === "Outbound");
    expect(outbound).toEqual([expect.objectContaining({ access: "Deny", protocol: "Tcp", destinationAddressPrefix: "*", destinationPortRanges: ["25", "465", "587"] })]);
    expect(outbound[0]?.["priority"]).toBe(100);
  });

  test("inbound: SSH from the operator only, the sink port from the sender's Elastic IP only, nothing else", () => {
    const inbound = rules().filter((r) => r["direction"] === "Inbound");
    expect(inbound).toHaveLength(2);
    expect(inbound).toContainEqual(expect.objectContaining({ access: "Allow", protocol: "Tcp", destinationPortRange: "22", sourceAddressPrefix: TEST_OPERATOR_CIDR }));
    expect(inbound).toContainEqual(expect.objectContaining({ access: "Allow", protocol: "Tcp", destinationPortRange: "2525", sourceAddressPrefix: MOCK_SENDER_EIP }));
  });

  test("a static Standard public IP on the NIC, the NSG on the NIC", () => {
    expect(one("azure-native:network:PublicIPAddress").inputs).toMatchObject({ sku: { name: "Standard" }, publicIPAllocationMethod: "Static" });
    const nic = one("azure-native:network:NetworkInterface").inputs;
    expect(nic["networkSecurityGroup"]).toEqual({ id: "sink-nsg-id" });
    expect(arr(nic["ipConfigurations"])[0]).toMatchObject({ publicIPAddress: { id: "sink-net-sink-ip-id" }, subnet: { id: "sink-net-subnet-id" } });
  });

  test("VM: the sink size, SSH key login only, cloud-init as customData", () => {
    const vm = one("azure-native:compute:VirtualMachine").inputs;
    expect(vm["hardwareProfile"]).toEqual({ vmSize: "Standard_F8s_v2" });
    const osProfile = vm["osProfile"] as Obj;
    expect(osProfile["adminPassword"]).toBeUndefined();
    expect(osProfile["adminUsername"]).toBe("ubuntu");
    const linux = osProfile["linuxConfiguration"] as Obj;
    expect(linux["disablePasswordAuthentication"]).toBe(true);
    expect(linux["ssh"]).toEqual({ publicKeys: [{ path: "/home/ubuntu/.ssh/authorized_keys", keyData: expect.stringMatching(/^ssh-ed25519 /) }] });
    expect(Buffer.from(osProfile["customData"] as string, "base64").toString("utf8")).toMatch(/^#cloud-config\n/);
    expect((vm["storageProfile"] as Obj)["osDisk"]).toMatchObject({ diskSizeGB: 30 });
  });

  test("the sink's customData reaches the provider as a secret", () => {
    // The SDK marks the enclosing input (osProfile) secret; either way customData is covered.
    const paths = one("azure-native:compute:VirtualMachine").secretPaths;
    expect(paths.some((p) => p === "osProfile" || p === "osProfile.customData"), paths.join(", ")).toBe(true);
  });
});

describe("tags", () => {
  // Types that cannot carry tags (or whose tags are the parent's).
  const UNTAGGABLE = new Set([
    "pulumi:providers:aws",
    "aws:ec2/route:Route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/eipAssociation:EipAssociation",
    "azure-native:network:Subnet",
    "tls:index/privateKey:PrivateKey",
    "tls:index/selfSignedCert:SelfSignedCert",
  ]);
  const expected = { labId: "kumolab-test", createdBy: "tester", createdAt: "2026-03-01T12:00:00.000Z", expiresAt: "2026-03-01T16:00:00.000Z", managedBy: "kumolab" };

  test("every taggable resource carries lab id, creator and expiry", () => {
    const taggable = run.mocks.resources.filter((r) => !r.type.startsWith("kumolab:") && !UNTAGGABLE.has(r.type));
    expect(taggable.length).toBe(16);
    for (const r of taggable) expect(r.inputs["tags"], `${r.type} ${r.name}`).toMatchObject(expected);
    expect((one("aws:ec2/instance:Instance").inputs["rootBlockDevice"] as Obj)["tags"]).toMatchObject(expected);
    expect(one("aws:ec2/vpc:Vpc").inputs["tags"]).toMatchObject({ Name: "kumolab-test-vpc" });
    expect(Date.parse(MOCK_CREATED_AT)).toBe(Date.parse(expected.createdAt));
  });

  test("the lab clock records the creator once and never rewrites it", () => {
    const cert = one("tls:index/selfSignedCert:SelfSignedCert").inputs;
    expect(cert["subject"]).toMatchObject({ commonName: "kumolab-test", organizationalUnit: "tester" });
  });
});
