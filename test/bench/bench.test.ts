/**
 * The bench's pure parts: its arithmetic, its table, the run order, and the generated peer script
 * (run with `ssh`/`scp` replaced by a recorder, so nothing connects anywhere). No timings asserted.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { peerProvisionScript, proofCommand, type PeerScriptInput } from "./peer-script";
import { alternatingOrder } from "./provisioning-bench";
import { deviationPct, fileTimestamp, formatTable, median, medianRun, ratio, worstDeviation } from "./stats";

describe("bench arithmetic", () => {
  it("median of odd and even counts, unsorted input", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/no values/);
    expect(() => median([1, Number.NaN])).toThrow(/non-finite/);
  });

  it("ratio refuses a zero denominator instead of printing Infinity", () => {
    expect(ratio(1, 2)).toBe(0.5);
    expect(() => ratio(1, 0)).toThrow(/undefined/);
  });

  it("the worst accuracy is the ratio farthest from 1, on either side", () => {
    expect(worstDeviation([1.002, 0.994, 1.004])).toEqual({ ratio: 0.994, deviation: expect.closeTo(0.006, 12) });
    expect(deviationPct(0.994)).toBe("−0.60 %");
    expect(deviationPct(1.0048)).toBe("+0.48 %");
  });

  it("medianRun picks the run behind the median", () => {
    const runs = [{ id: "a", ms: 30 }, { id: "b", ms: 10 }, { id: "c", ms: 20 }];
    expect(medianRun(runs, (r) => r.ms)?.id).toBe("c");
  });

  it("runs alternate, and which provisioner goes first alternates too", () => {
    expect(alternatingOrder(3)).toEqual(["ours", "peer", "peer", "ours", "ours", "peer"]);
  });

  it("a file name without colons", () => {
    expect(fileTimestamp(new Date("2025-01-02T03:04:05.678Z"))).toBe("2025-01-02T03-04-05Z");
  });
});

describe("the printed table", () => {
  it("aligns columns (counting ≤ and — as one character) and marks goals met or missed", () => {
    const t = formatTable([
      { figure: "ratio kumolab / peer", measured: "0.42", goal: "≤ 0.50", met: true },
      { figure: "overhead", measured: "2.35 s", goal: "< 2 s", met: false },
      { figure: "sweep (model)", measured: "1h09m, $15.20", goal: "", met: undefined },
    ]);
    const lines = t.split("\n");
    expect(lines[0]).toMatch(/^figure +\| measured +\| goal +\| met$/);
    expect(lines[2]).toMatch(/\| yes$/);
    expect(lines[3]).toMatch(/\| NO$/);
    expect(lines[4]).toMatch(/\| —$/);
    // Every "|" of the body lines sits where the header's does.
    const bars = (l: string) => [...l].flatMap((c, i) => (c === "|" ? [i] : []));
    for (const l of [lines[2], lines[3], lines[4]]) expect(bars(l as string)).toEqual(bars(lines[0] as string));
  });
});

describe("the peer script", () => {
  let dir: string;
  let input: PeerScriptInput;
  beforeAll(() => {
    // Paths with a space and a quote: each must reach ssh/scp as one argument.
    dir = mkdtempSync(path.join(os.tmpdir(), "kumolab bench's test-"));
    input = {
      privateKeyPath: path.join(dir, "client key"),
      knownHostsPath: path.join(dir, "known hosts"),
      user: "root",
      sender: "198.18.0.10",
      sink: "198.18.0.11",
      sinkAddressFromSender: "198.18.0.11",
      sinkPort: 2525,
      senderSubmissionPort: 2025,
      sinkPolicyFile: path.join(dir, "sink's.lua"),
      senderPolicyFile: path.join(dir, "init.lua"),
      nftFile: path.join(dir, "port25.nft"),
    };
    for (const f of [input.sinkPolicyFile, input.senderPolicyFile, input.nftFile]) writeFileSync(f, "x\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the script with SSH/SCP pointing at a recorder; returns each call's argv (tool name first). */
  function runWithRecorder(failOnCall?: number): { status: number | null; calls: string[][] } {
    const log = path.join(dir, "calls");
    writeFileSync(log, "");
    const recorder = path.join(dir, "record");
    writeFileSync(
      recorder,
      ['#!/usr/bin/env bash', `{ printf '%s\\0' "$TOOL" "$@"; printf '\\001\\0'; } >> ${JSON.stringify(log)}`, `[ -n "$FAIL_ON" ] && [ "$(tr -cd '\\001' < "$CALLS" | wc -c)" = "$FAIL_ON" ] && exit 1`, "exit 0", ""].join("\n"),
      { mode: 0o755 },
    );
    const wrap = (tool: string) => {
      const f = path.join(dir, tool);
      writeFileSync(f, `#!/bin/sh\nTOOL=${tool} exec ${JSON.stringify(recorder)} "$@"\n`, { mode: 0o755 });
      return f;
    };
    const script = path.join(dir, "peer.sh");
    writeFileSync(script, peerProvisionScript(input));
    const r = spawnSync("bash", [script], {
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, SSH: wrap("ssh"), SCP: wrap("scp"), CALLS: log, FAIL_ON: failOnCall === undefined ? "" : String(failOnCall) },
    });
    const calls = readFileSync(log, "utf8").split("\u0001\0").filter((c) => c.length > 0).map((c) => c.split("\0").filter((_, i, a) => i < a.length - 1));
    return { status: r.status, calls };
  }

  it("one ssh/scp call per step, in order, each with the pinned keys and no connection sharing", () => {
    const { status, calls } = runWithRecorder();
    expect(status).toBe(0);
    expect(calls.map((c) => `${c[0]} ${c.find((a) => a.startsWith("root@"))?.replace(/:.*/, ":…")}`)).toEqual([
      "scp root@198.18.0.11:…",
      "ssh root@198.18.0.11",
      "ssh root@198.18.0.10",
      "scp root@198.18.0.10:…",
      "ssh root@198.18.0.10",
      "ssh root@198.18.0.11",
      "ssh root@198.18.0.10",
      "ssh root@198.18.0.11",
      "ssh root@198.18.0.10",
      "ssh root@198.18.0.10",
    ]);
    for (const c of calls) {
      const opt = (o: string) => c.some((a, i) => a === o && c[i - 1] === "-o");
      expect(c[c.indexOf("-i") + 1]).toBe(input.privateKeyPath);
      expect(opt(`UserKnownHostsFile=${input.knownHostsPath}`)).toBe(true);
      expect(opt("StrictHostKeyChecking=yes")).toBe(true);
      expect(opt("BatchMode=yes")).toBe(true);
      expect(opt("ControlMaster=no")).toBe(true);
    }
    // The local file with a quote in its name arrives whole; the remote path is the sink policy's.
    expect(calls[0]?.slice(-2)).toEqual([input.sinkPolicyFile, "root@198.18.0.11:/opt/kumomta/etc/policy/sink.lua"]);
    // Remote commands arrive as one argument, exactly as written (quotes inside survive).
    expect(calls[9]?.at(-1)).toBe(proofCommand("198.18.0.11", 2525));
    expect(calls[1]?.at(-1)).toMatch(/setsid nohup \/opt\/kumomta\/sbin\/kumod --policy \/opt\/kumomta\/etc\/policy\/sink.lua --user kumod/);
  });

  it("stops at the first failing call", () => {
    const { status, calls } = runWithRecorder(3);
    expect(status).not.toBe(0);
    expect(calls).toHaveLength(3);
  });

  it("refuses addresses scp cannot take as written and odd user names", () => {
    expect(() => peerProvisionScript({ ...input, sink: "sink.example" })).toThrow(/IPv4/);
    expect(() => peerProvisionScript({ ...input, user: "root; rm -rf /" })).toThrow(/login name/);
    expect(() => peerProvisionScript({ ...input, sinkPort: 70000 })).toThrow(/port/);
  });
});
