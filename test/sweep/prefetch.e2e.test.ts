/**
 * Prefetch on the namespace lab, through the product's sweep command (in this process, to stay
 * lean): a 2-size × 1-trial sweep where size 2's sender is prepared on the second sender host while
 * size 1 is measured, then swapped in. Asserted from the trial records and the sweep's own lines:
 * size 2 ran on the other sender host (slot b, its own address, 2 CPUs), the sink relayed for both,
 * the standby was provisioned before size 1's trial ended, and nothing of the lab is left.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import YAML from "yaml";
import { sweepMain } from "../../scripts/cli/sweep";
import { readRecords, readTimeline } from "../../scripts/results/results-dir";
import { smallLabConfigObject } from "../lab/lab-files";
import { NamespaceLabDriver } from "../lab/namespace-lab-driver";
import { skipNamespaceLab } from "../lab/namespace-lab";

const skip = skipNamespaceLab();

/** Network namespaces of labs this process made (the harness names them `kl<pid base 36><n>-<host>`). */
function ownNamespaces(): string[] {
  const prefix = `kl${(process.pid % 46656).toString(36).padStart(3, "0")}`;
  return spawnSync("ip", ["netns", "list"], { encoding: "utf8" })
    .stdout.split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(prefix));
}

describe.skipIf(skip)("prefetch on the namespace lab", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), "kumolab-prefetch-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("2 sizes: size 2 runs on the other sender host, prepared while size 1 was measured; the lab is gone afterwards", async () => {
    const labConfig = path.join(work, "lab.yaml");
    writeFileSync(labConfig, YAML.stringify(smallLabConfigObject({ messageCount: 200, concurrency: 10, bodySize: "10kb", trials: 1, coolDownSeconds: 0 })));
    const results = path.join(work, "results");
    let out = "";
    const capture = (chunk: unknown): boolean => {
      out += String(chunk);
      return true;
    };
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(capture);
    let code: number;
    try {
      code = await sweepMain(["--lab-config", labConfig, "--results", results, "--yes", "--sizes", "ns-1cpu,ns-2cpu"], {
        makeDriver: async (_cfg, o) => new NamespaceLabDriver({ senderSlots: o.prefetch ? 2 : 1 }),
      });
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }

    const { records } = readRecords(results);
    // Both trials delivered through the sink: it relayed for both sender hosts.
    expect(records.map((r) => `${r.sizeId}#${r.trial}:${r.status}`), out).toEqual(["ns-1cpu#1:ok", "ns-2cpu#1:ok"]);
    const [first, second] = records;
    expect(first?.context.senderHost?.slot).toBe("a");
    expect(second?.context.senderHost?.slot).toBe("b");
    expect(second?.context.senderHost?.address).not.toBe(first?.context.senderHost?.address);
    // The standby was "built" at size 2: its host reported 2 CPUs, the first sender 1.
    expect(records.map((r) => r.context.hosts?.sender.vcpu)).toEqual([1, 2]);
    expect(second?.kumodCounters?.sink?.received).toBe(200);
    // Exit 0 or 3 must agree with the records (a busy 2-core machine can push the sink's CPU over its bound).
    expect(code, out).toBe(records.every((r) => r.valid) ? 0 : 3);

    // Prepared while size 1 was measured: ready before size 1's trial ended, swapped in after it.
    const ready = out.indexOf("prefetch: standby sender sender b");
    const trial1Verdict = out.search(/ns-1cpu.*trial 1.*(VALID|INVALID)/);
    const swapped = out.indexOf("prefetch: size ns-2cpu runs on sender b");
    expect(ready, out).toBeGreaterThan(-1);
    expect(trial1Verdict, out).toBeGreaterThan(-1);
    expect(swapped, out).toBeGreaterThan(trial1Verdict);
    expect(ready, out).toBeLessThan(swapped);
    // The sink was left alone while the standby was provisioned (its trials were running): no sink
    // step between the standby's start and its readiness, and its kumod started once for the sweep.
    const preparing = out.indexOf("prefetch: preparing size ns-2cpu");
    expect(preparing, out).toBeGreaterThan(-1);
    expect(out.slice(preparing, ready)).not.toMatch(/\[sink \(/);
    expect(out.match(/\[sink \([^)]*\)\] start kumod ✓.*\(changed\)/g)?.length, out).toBe(1);
    expect(readTimeline(results).events.map((e) => e.kind)).toEqual(["lab-up-start", "lab-up-done", "standby-start", "size-done", "size-start", "size-done", "lab-destroy-start", "lab-destroyed"]);

    // Nothing left: no namespace of ours, no cpuset of ours.
    expect(ownNamespaces()).toEqual([]);
    const cpusets = "/sys/fs/cgroup/cpuset";
    const prefix = `kumolab-kl${(process.pid % 46656).toString(36).padStart(3, "0")}`;
    expect(existsSync(cpusets) ? readdirSync(cpusets).filter((d) => d.startsWith(prefix)) : []).toEqual([]);
  }, 90_000);
});
