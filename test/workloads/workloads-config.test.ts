/** Workloads in the lab config: defaults, overrides over `traffic:`, and the errors an operator sees. */
import { describe, expect, it } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import { labConfigSchema, type LabConfigInput } from "../../lab-config/schema";
import { resolveWorkload, selectWorkloads, workloadsSchema } from "../../lab-config/workloads";
import { renderSenderPolicy, renderSinkPolicy } from "../../scripts/provision/policies";

const base = loadLabConfig().config;
const withWorkloads = (workloads: unknown) => labConfigSchema.safeParse({ ...(base as unknown as LabConfigInput), workloads });
const issues = (r: ReturnType<typeof withWorkloads>): string[] => (r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));

describe("workloads in lab-config", () => {
  it("the shipped lab.yaml has exactly the published workload, today's parameters, as baseline", () => {
    expect(base.workloads.baseline).toBe("published");
    expect(base.workloads.list.map((w) => w.name)).toEqual(["published"]);
    const w = resolveWorkload(base, "published");
    expect(w.traffic).toMatchObject({ concurrency: 20000, messageCount: 100000, bodySize: 100000, bodyFile: null, http: null, starttls: false });
    expect(w.sender).toEqual({ dkim: null, spool: { kind: "RocksDB", flush: false }, logging: "off", policyHelpers: false, egressTls: "opportunistic-insecure" });
    expect(w.sink).toEqual({ kind: "discard" });
  });

  it("a workload overrides traffic and the sender's egress TLS; the rest comes from traffic: and kumomta:", () => {
    const r = withWorkloads({
      baseline: "published",
      list: [
        { name: "published" },
        { name: "dkim-tls-50k", traffic: { bodySize: "50kb", http: { batchSize: 10 } }, sender: { dkim: { algorithm: "rsa2048", domains: ["a.example.com"] }, egressTls: "disabled", logging: "local" } },
        { name: "smart", sink: { kind: "smart", default: { deferPct: 5, bouncePct: 10 }, domains: { "slow.example.com": { latencyMs: 200 } } } },
      ],
    });
    expect(issues(r)).toEqual([]);
    if (!r.success) return;
    const d = resolveWorkload(r.data, "dkim-tls-50k");
    expect(d.traffic.bodySize).toBe(50000);
    expect(d.traffic.concurrency).toBe(20000);
    expect(d.traffic.http).toEqual({ batchSize: 10 });
    expect(d.sender.egressTls).toBe("disabled");
    expect(d.sender.dkim).toEqual({ algorithm: "rsa2048", domains: ["a.example.com"], selector: "kumolab" });
    expect(resolveWorkload(r.data, "smart").sink).toEqual({ kind: "smart", default: { deferPct: 5, bouncePct: 10, latencyMs: 0 }, domains: { "slow.example.com": { deferPct: 0, bouncePct: 0, latencyMs: 200 } } });
    expect(selectWorkloads(r.data, ["smart", "published", "smart"])).toEqual(["smart", "published"]);
    expect(selectWorkloads(r.data, undefined)).toEqual(["published", "dkim-tls-50k", "smart"]);
    expect(() => selectWorkloads(r.data, ["nope"])).toThrow("unknown workload 'nope'; defined: published, dkim-tls-50k, smart (lab-config/lab.yaml: workloads.list)");
    expect(() => resolveWorkload(r.data, "nope")).toThrow("unknown workload 'nope'; defined: published, dkim-tls-50k, smart");
  });

  it.each([
    [{ baseline: "x", list: [{ name: "published" }] }, "workloads.baseline: unknown workload 'x'; defined: published"],
    [{ baseline: "a", list: [{ name: "a" }, { name: "a" }] }, "workloads.list.1.name: duplicate workload 'a'"],
    [{ baseline: "A", list: [{ name: "A" }] }, "workloads.baseline: must be lower-case letters"],
    [{ baseline: "a", list: [{ name: "a", sink: { kind: "smart", default: { deferPct: 60, bouncePct: 50 } } }] }, "workloads.list.0.sink.default: deferPct + bouncePct is 110 %, more than 100 %"],
    [{ baseline: "a", list: [{ name: "a", traffic: { bodySize: 10, bodyFile: "x.eml" } }] }, "workloads.list.0.traffic.bodyFile: set bodySize or bodyFile, not both"],
    [{ baseline: "a", list: [{ name: "a", traffic: { starttls: true, http: { batchSize: 1 } } }] }, "workloads.list.0.traffic.starttls: --starttls applies to SMTP injection only"],
    [{ baseline: "a", list: [{ name: "a", sender: { dkim: { algorithm: "rsa1024", domains: ["a.example"] } } }] }, "workloads.list.0.sender.dkim.algorithm: Invalid option"],
    [{ baseline: "a", list: [{ name: "a", sender: { dkim: { algorithm: "ed25519", domains: ["a.example'; os.exit()"] } } }] }, "workloads.list.0.sender.dkim.domains.0: must be a lower-case domain name"],
    [{ baseline: "a", list: [{ name: "a", sender: { logging: "verbose" } }] }, "workloads.list.0.sender.logging: Invalid option"],
    [{ baseline: "a", list: [{ name: "a", sender: { spool: { kind: "Memory" } } }] }, "workloads.list.0.sender.spool.kind: Invalid option"],
    [{ baseline: "a", list: [{ name: "a", dkim: true }] }, "workloads.list.0: Unrecognized key: \"dkim\""],
  ])("refuses %j", (workloads, message) => {
    const got = issues(withWorkloads(workloads));
    expect(got.length).toBeGreaterThan(0);
    expect(got[0]).toContain(message);
  });

  it("a workload's options reach the rendered policies with KumoMTA's names (docs/reference/kumo.dkim, kumo/configure_local_logs, kumo/define_spool, examples/smart-sink-docker)", () => {
    const w = workloadsSchema.parse({
      baseline: "a",
      list: [{ name: "a", sender: { dkim: { algorithm: "ed25519", domains: ["a.example.com", "b.example.com"] }, spool: { kind: "LocalDisk", flush: true }, logging: "local-headers" }, sink: { kind: "smart", default: { deferPct: 5, bouncePct: 10, latencyMs: 1500 } } }],
    }).list[0]!;
    const inputs = { sinkPort: 2525, sinkAddress: "198.18.0.2", senderAddress: "198.18.0.1" };
    const sender = renderSenderPolicy(inputs, base.kumomta, undefined, { workload: w.sender });
    expect(sender).toContain("local signer = kumo.dkim.ed25519_signer {");
    expect(sender).toContain("{ domain = 'b.example.com', key = '/opt/kumomta/etc/policy/dkim/b.example.com.kumolab.ed25519.key' },");
    expect(sender).toContain("msg:dkim_sign(signer)");
    expect(sender).toContain("headers = { 'From', 'To', 'Subject' },");
    expect(sender).toContain("kind = 'LocalDisk',\n    flush = true,");
    expect(sender).toContain("kumo.configure_local_logs {\n    log_dir = '/var/log/kumomta/kumolab-logs',\n    headers = { 'From', 'To', 'Subject', 'Message-Id' },\n  }");
    const plain = renderSenderPolicy(inputs, base.kumomta);
    expect(plain).not.toContain("kumo.dkim");
    expect(plain).not.toContain("kumo.configure_local_logs {");
    expect(plain).toContain("kind = 'RocksDB',\n    flush = false,");
    const sink = renderSinkPolicy(inputs, undefined, w.sink);
    expect(sink).toContain("local DEFAULT_ANSWER = { defer = 5, bounce = 10, latency = 1.5 }");
    expect(sink).toContain("kumo.reject(550, 'boing!')");
    expect(sink).toContain("kumo.reject(451, 'later!')");
    expect(renderSinkPolicy(inputs)).not.toContain("kumo.reject");
  });
});
