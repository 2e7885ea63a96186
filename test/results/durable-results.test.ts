import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendRecord, readRecords, appendTimelineEvent, readTimeline, writeManifest, readManifest, TRIALS_FILE } from "../../scripts/results/results-dir";
import { ResultsFileError, writeJsonAtomic } from "../../scripts/results/durable-file";
import type { TrialRecord } from "../../scripts/results/trial-record";
import type { RunManifest } from "../../scripts/results/run-manifest";
import { makeRecord } from "./make-record";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kumolab-results-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const r1 = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T10:00:00Z" });
const r2 = makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-03-01T10:04:00Z", failedStep: { step: "traffic-gen", message: "SSH connection to sender lost" } });

describe("trials.jsonl", () => {
  it("round-trips records, one line each", () => {
    appendRecord(dir, r1);
    appendRecord(dir, r2);
    const text = readFileSync(join(dir, TRIALS_FILE), "utf8");
    expect(text.split("\n")).toHaveLength(3);
    const { records: values, torn } = readRecords(dir);
    expect(torn).toBeNull();
    expect(values).toEqual([r1, r2]);
    expect(values[1]?.status).toBe("failed");
    expect(values[1]?.invalidReasons[0]?.code).toBe("failed");
  });

  it("a missing file reads as no records", () => {
    expect(readRecords(dir)).toEqual({ records: [], torn: null });
  });

  it("refuses to write an invalid record, and writes nothing", () => {
    const bad = { ...r1, valid: true, invalidReasons: [{ code: "send-failures" as const, detail: "12 failed" }] };
    expect(() => appendRecord(dir, bad)).toThrow(/refusing to write an invalid record: invalidReasons: a valid trial has no invalid reasons/);
    const noFailure: TrialRecord = { ...r2 };
    delete noFailure.failure;
    expect(() => appendRecord(dir, noFailure)).toThrow(/failure: a failed trial must say which step failed/);
    expect(() => appendRecord(dir, { ...r2, invalidReasons: [{ code: "send-failures", detail: "x" }] })).toThrow(/a failed trial must carry the 'failed' reason/);
    expect(() => appendRecord(dir, { ...r1, files: { ...r1.files, samples: "../../etc/passwd" } })).toThrow(/files.samples/);
    expect(existsSync(join(dir, TRIALS_FILE))).toBe(false);
  });

  it("a torn last line (crash mid-append) is reported and ignored, and the next append sets it aside instead of merging", () => {
    appendRecord(dir, r1);
    const line2 = JSON.stringify(r2);
    appendFileSync(join(dir, TRIALS_FILE), line2.slice(0, 200));
    const read = readRecords(dir);
    expect(read.records).toEqual([r1]);
    expect(read.torn).toEqual({ file: join(dir, TRIALS_FILE), line: 2, text: line2.slice(0, 200) });

    appendRecord(dir, r2);
    const after = readRecords(dir);
    expect(after.torn).toBeNull();
    expect(after.records).toEqual([r1, r2]);
    expect(readFileSync(join(dir, `${TRIALS_FILE}.torn`), "utf8")).toBe(`${line2.slice(0, 200)}\n`);
  });

  it("a whole last record missing only its newline is kept, and the next append does not glue onto it", () => {
    writeFileSync(join(dir, TRIALS_FILE), JSON.stringify(r1));
    expect(readRecords(dir)).toEqual({ records: [r1], torn: null });
    appendRecord(dir, r2);
    expect(readRecords(dir).records).toEqual([r1, r2]);
  });

  it("a corrupt middle line is an error naming the file and line", () => {
    appendRecord(dir, r1);
    appendFileSync(join(dir, TRIALS_FILE), "{not json\n");
    appendRecord(dir, r2);
    expect(() => readRecords(dir)).toThrow(ResultsFileError);
    expect(() => readRecords(dir)).toThrow(new RegExp(`${TRIALS_FILE}:2: not valid JSON`));
  });

  it("a schema-invalid middle line names the line and the key", () => {
    appendRecord(dir, r1);
    appendFileSync(join(dir, TRIALS_FILE), `${JSON.stringify({ ...r1, trial: 0 })}\n`);
    appendRecord(dir, r2);
    expect(() => readRecords(dir)).toThrow(new RegExp(`${TRIALS_FILE}:2: does not match the schema: trial:`));
  });
});

describe("timeline.jsonl", () => {
  it("round-trips events and refuses a size event without a size", () => {
    appendTimelineEvent(dir, { at: "2026-03-01T09:50:00Z", kind: "lab-up-start" });
    appendTimelineEvent(dir, { at: "2026-03-01T10:00:00Z", kind: "size-start", sizeId: "c2-r4" });
    expect(() => appendTimelineEvent(dir, { at: "2026-03-01T10:30:00Z", kind: "size-done" })).toThrow(/sizeId: size-done needs a sizeId/);
    expect(readTimeline(dir).events.map((e) => e.kind)).toEqual(["lab-up-start", "size-start"]);
  });
});

describe("run.json", () => {
  const manifest: RunManifest = {
    schemaVersion: 1,
    runId: "run-1",
    createdAt: "2026-03-01T09:49:00Z",
    source: "stack",
    labId: "lab-1",
    sizes: [{ id: "c2-r4", label: "c5.large", vcpu: 2, ramGiB: 4, hourlyUsd: 0.085 }],
    sink: { label: "Standard_F8s_v2", vcpu: 8, ramGiB: 16, hourlyUsd: 0.338 },
    trialsPerSize: 4,
    coolDownSeconds: 120,
    traffic: { concurrency: 20000, messageCount: 100000, bodySizeBytes: 100000, durationCapSeconds: 2000, extraArgs: [] },
  };

  it("is written atomically (no temp file left) and read back validated", () => {
    writeManifest(dir, manifest);
    expect(readdirSync(dir)).toEqual(["run.json"]);
    expect(readManifest(dir)).toEqual(manifest);
    writeManifest(dir, { ...manifest, trialsPerSize: 2 });
    expect(readManifest(dir).trialsPerSize).toBe(2);
  });

  it("an invalid manifest on disk names the key", () => {
    writeJsonAtomic(join(dir, "run.json"), { ...manifest, sizes: [] });
    expect(() => readManifest(dir)).toThrow(/run\.json: does not match the schema: sizes:/);
  });
});
