/**
 * Lab profiles resolve to the test beds their rounds state (shared/reference/published-results.md),
 * a stack can still override any key, and a bad profile or spool volume names what to do.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { readYamlFile } from "../../lab-config/load";
import { LabConfigError, resolveLabConfig, type ResolvedLabConfig } from "../../lab-config/resolve";
import { resolveWorkload } from "../../lab-config/workloads";

const DEFAULTS = path.resolve(__dirname, "../../lab-config/lab.yaml");
const OPERATOR = { "kumolab:operatorCidr": "198.18.0.7/32" };
const tmp = mkdtempSync(path.join(os.tmpdir(), "kumolab-profiles-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// No Pulumi import (infra/config.ts): the same resolver, so that `npm run mutate` can run this file.
const resolve = (overrides: Record<string, string> = {}, defaults = DEFAULTS): ResolvedLabConfig => resolveLabConfig(readYamlFile(defaults), { ...OPERATOR, ...overrides }, "lab-config/lab.yaml", "stack test");

function issuesOf(overrides: Record<string, string>): string[] {
  try {
    resolve(overrides);
  } catch (e) {
    if (e instanceof LabConfigError) return e.issues;
    throw e;
  }
  throw new Error(`config was accepted: ${JSON.stringify(overrides)}`);
}

describe("profiles resolve", () => {
  test("no profile is minimal: lab.yaml as it is, the spool on the root volume", () => {
    const { config } = resolve();
    expect(config.profile).toBe("minimal");
    expect(config.aws.spoolVolume).toBeNull();
    expect(config.os).toBe("ubuntu-22.04");
    expect(config.sender.sizes.map((s) => s.instanceType)).toEqual(["c5.large", "m5.xlarge", "m5.2xlarge", "m5.4xlarge"]);
  });

  test("kumomta-2025: c5n at 8/16/36 vCPU with 21/42/96 GB, Ubuntu 24, 100 GB gp3 at 7,200 IOPS / 225 MB/s, 100,000 × 100 KB, 4 runs", () => {
    const { config, sources } = resolve({ "kumolab:profile": "kumomta-2025" });
    expect(config.sender.sizes.map((s) => [s.instanceType, s.vcpu, s.ramGiB])).toEqual([
      ["c5n.2xlarge", 8, 21],
      ["c5n.4xlarge", 16, 42],
      ["c5n.9xlarge", 36, 96],
    ]);
    expect(config.sender.size).toBe("c8-r21");
    expect(config.os).toBe("ubuntu-24.04");
    expect(config.aws.spoolVolume).toEqual({ sizeGiB: 100, iops: 7200, throughputMBps: 225 });
    expect([config.traffic.messageCount, config.traffic.bodySize, config.trials.count]).toEqual([100_000, 100_000, 4]);
    expect(resolveWorkload(config, config.workloads.baseline).sender).toMatchObject({ dkim: null, spool: { kind: "RocksDB" }, policyHelpers: false });
    // `npm run lab -- config` says where each value came from.
    expect(sources["aws.spoolVolume.iops"]).toEqual({ kind: "profile", profile: "kumomta-2025" });
    expect(sources["profile"]).toMatchObject({ kind: "override", key: "kumolab:profile" });
    expect(sources["aws.region"]).toMatchObject({ kind: "default" });
  });

  test("kumomta-2023-07: the round's five instance types (Graviton on arm64), DKIM RSA-SHA256 on every message, a 7,200 IOPS spool volume", () => {
    const { config } = resolve({ "kumolab:profile": "kumomta-2023-07" });
    expect(config.sender.sizes.map((s) => `${s.instanceType} ${s.vcpu}/${s.ramGiB} ${s.arch}`)).toEqual([
      "c5.2xlarge 8/16 x86_64",
      "c5.4xlarge 16/32 x86_64",
      "c5a.8xlarge 32/64 x86_64",
      "c6g.16xlarge 64/128 arm64",
      "c5.24xlarge 96/192 x86_64",
    ]);
    expect(config.aws.spoolVolume?.iops).toBe(7200);
    // "4 sequential runs, 2 minutes apart"
    expect(config.trials).toEqual({ count: 4, coolDownSeconds: 120 });
    const w = resolveWorkload(config, config.workloads.baseline);
    expect(w.sender.dkim).toMatchObject({ algorithm: "rsa2048", domains: ["kumolab.example.com"] });
    expect(w.sender.spool.kind).toBe("RocksDB");
    // "egress_source/listener-domains/shaping/tenants helpers": routed through kumolab's equivalent.
    expect(w.sender.policyHelpers).toBe(true);
    expect(w.traffic.bodySize).toBe(100_000);
  });

  test("a stack's override wins over the profile's value", () => {
    const { config, sources } = resolve({ "kumolab:profile": "kumomta-2025", "kumolab:sender.size": "c16-r42", "kumolab:aws.spoolVolume": JSON.stringify({ sizeGiB: 100, iops: 3000, throughputMBps: 125 }) });
    expect(config.sender.size).toBe("c16-r42");
    expect(config.aws.spoolVolume).toEqual({ sizeGiB: 100, iops: 3000, throughputMBps: 125 });
    expect(config.os).toBe("ubuntu-24.04");
    expect(sources["aws.spoolVolume.iops"]).toMatchObject({ kind: "override" });
  });

  test("a profile named in the defaults file applies as well", () => {
    const file = path.join(tmp, "lab.yaml");
    const text = readFileSync(DEFAULTS, "utf8");
    expect(text).toMatch(/^profile: minimal$/m);
    writeFileSync(file, text.replace(/^profile: minimal$/m, "profile: kumomta-2023-07"));
    const { config } = resolve({}, file);
    expect(config.profile).toBe("kumomta-2023-07");
    expect(config.sender.size).toBe("c8-r16");
  });
});

describe("bad profiles and spool volumes say what to do", () => {
  test("an unknown profile names the known ones and how to set one", () => {
    expect(issuesOf({ "kumolab:profile": "kumomta-2024" })).toEqual([
      'profile = "kumomta-2024": unknown profile \'kumomta-2024\'; known: minimal, kumomta-2025, kumomta-2023-07 (lab-config/profiles.ts). Set it in lab-config/lab.yaml (profile: …) or per stack: pulumi config set kumolab:profile kumomta-2025',
    ]);
  });

  // gp3 (AWS EC2 CreateVolume): 3,000–16,000 IOPS, at most 500 IOPS per GiB; at most 0.25 MiB/s per IOPS.
  test.each<[string, object, string]>([
    ["7,200 IOPS on 10 GiB (500 per GiB: needs 15)", { sizeGiB: 10, iops: 7200, throughputMBps: 225 }, "aws.spoolVolume.iops = 7200: gp3 allows at most 500 IOPS per GiB: 7200 IOPS needs at least 15 GiB (sizeGiB is 10)"],
    ["1,000 MiB/s at 3,000 IOPS (0.25 per IOPS: needs 4,000)", { sizeGiB: 100, iops: 3000, throughputMBps: 1000 }, "aws.spoolVolume.throughputMBps = 1000: gp3 allows at most 0.25 MiB/s per provisioned IOPS: 1000 MiB/s needs at least 4000 IOPS (iops is 3000)"],
  ])("%s", (_what, volume, issue) => {
    expect(issuesOf({ "kumolab:aws.spoolVolume": JSON.stringify(volume) })).toEqual([issue]);
  });

  test("IOPS below gp3's 3,000 are refused", () => {
    expect(issuesOf({ "kumolab:aws.spoolVolume": JSON.stringify({ sizeGiB: 100, iops: 2000, throughputMBps: 125 }) })[0]).toMatch(/^aws\.spoolVolume\.iops = 2000: .*3000/);
  });
});
