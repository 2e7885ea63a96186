/**
 * The policy pack started as the Pulumi CLI starts a Node.js pack: the language host runs
 * `node …/@pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>` with the pack's folder as the
 * working directory; @pulumi/policy's PolicyPack then reads `package.json` from that folder for
 * the pack's version (node_modules/@pulumi/policy/policy.js) and prints the port of its Analyzer
 * gRPC server on stdout (server.js, `serve`). The test then calls `Analyze` over loopback gRPC as
 * the engine does (proto: pulumi/analyzer.proto) and reads the diagnostics.
 */
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzeRequest, AnalyzerResourceOptions, AnalyzeResponse, EnforcementLevel } from "@pulumi/pulumi/proto/analyzer_pb";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const PACK_DIR = path.join(ROOT, "policy-pack");
const RUN_POLICY_PACK = path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
/** @pulumi/policy's proxy.js: how the engine marks a string not known during preview. */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";

let child: ChildProcess | undefined;
let client: AnalyzerClient | undefined;
let stderr = "";

/** Starts the pack from its own folder and resolves with the port it prints (bounded by `timeoutMs`). */
function startPack(timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // The engine address is never dialled for analysis; a closed loopback port stands in.
    const p = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:1", "."], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
    child = p;
    let out = "";
    const timer = setTimeout(() => reject(new Error(`policy pack printed no port within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    p.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    p.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack exited with ${code} before serving; stderr: ${stderr}`));
    });
  });
}

function analyze(type: string, props: Record<string, unknown>): Promise<AnalyzeResponse> {
  const c = client;
  if (!c) throw new Error("pack not started");
  const req = new AnalyzeRequest();
  req.setType(type);
  req.setName("r");
  req.setUrn(`urn:pulumi:test::kumolab::${type}::r`);
  req.setOptions(new AnalyzerResourceOptions()); // the engine always sends options (server.js refuses a request without)
  req.setProperties(Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]));
  return new Promise((resolve, reject) =>
    c.analyze(req, new grpc.Metadata(), { deadline: Date.now() + 20_000 }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

function diagnostics(res: AnalyzeResponse): { policy: string; level: EnforcementLevel; message: string; version: string }[] {
  return res.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage(), version: d.getPolicypackversion() }));
}

describe("the policy pack as the CLI loads it", () => {
  beforeAll(async () => {
    const port = await startPack(90_000);
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 100_000);

  afterAll(() => {
    client?.close();
    child?.kill("SIGTERM");
  });

  test("starts from its folder and refuses SSH open to the world, at the version of its package.json", async () => {
    const res = await analyze("aws:ec2/securityGroup:SecurityGroup", {
      ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
      egress: [],
    });
    const d = diagnostics(res);
    expect(d.map((x) => [x.policy, x.level])).toEqual([["kumolab-no-world-ssh", EnforcementLevel.MANDATORY]]);
    expect(d[0]?.version).toBe("0.1.0"); // policy-pack/package.json
  });

  test("a compliant security group draws no diagnostic", async () => {
    const res = await analyze("aws:ec2/securityGroup:SecurityGroup", {
      ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["198.18.0.7/32"] }],
      egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
    });
    expect(diagnostics(res)).toEqual([]);
  });

  test("preview enforces: an unknown CIDR on an SSH rule is the worst case, mandatory (not 'can't run during preview', advisory)", async () => {
    const res = await analyze("aws:ec2/securityGroup:SecurityGroup", {
      ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [UNKNOWN_STRING] }],
      egress: [],
    });
    const d = diagnostics(res);
    expect(d.map((x) => [x.policy, x.level])).toEqual([["kumolab-no-world-ssh", EnforcementLevel.MANDATORY]]);
    expect(d[0]?.message).toContain("not known yet");
  });

  test("preview enforces: an NSG rule with an unknown priority is judged, and a known-good NSG with an unknown sender IP passes", async () => {
    const deny = { name: "deny-smtp", priority: 100, direction: "Outbound", access: "Deny", protocol: "Tcp", sourceAddressPrefix: "*", sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRanges: ["25", "465", "587"] };
    const allowSink = { name: "sink", priority: 120, direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: UNKNOWN_STRING, sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRange: "2525" };
    expect(diagnostics(await analyze("azure-native:network:NetworkSecurityGroup", { securityRules: [deny, allowSink] }))).toEqual([]);

    const allowOut = { name: "allow-out", priority: UNKNOWN_NUMBER, direction: "Outbound", access: "Allow", protocol: "Tcp", destinationAddressPrefix: "*", destinationPortRange: "25" };
    const d = diagnostics(await analyze("azure-native:network:NetworkSecurityGroup", { securityRules: [deny, allowOut] }));
    expect(d.map((x) => [x.policy, x.level])).toEqual([["kumolab-no-smtp-egress", EnforcementLevel.MANDATORY]]);
  });
});
