/** The trial record's invariants: what a record must never say, refused by the schema itself. */
import { describe, expect, test } from "vitest";
import { relativePathSchema, trialRecordSchema, type TrialRecord } from "../../scripts/results/trial-record";
import { makeRecord } from "./make-record";

const ok = (): TrialRecord => makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:00:00.000Z", wallSeconds: 100 });
const failed = (): TrialRecord =>
  makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-03-01T09:00:00.000Z", failedStep: { step: "traffic-gen", message: "exit 1" }, invalidReasons: [{ code: "failed", detail: "traffic-gen exited 1" }] });

/** The messages of the issues the schema raises, with their key paths. */
function problems(record: unknown): string[] {
  const r = trialRecordSchema.safeParse(record);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("trial record invariants", () => {
  test("the fixtures' ok and failed records are accepted", () => {
    expect(problems(ok())).toEqual([]);
    expect(problems(failed())).toEqual([]);
  });

  test("a failed trial says which step failed, carries the 'failed' reason and is not valid", () => {
    const { failure: _, ...noFailure } = failed();
    expect(problems(noFailure)).toEqual(["failure: a failed trial must say which step failed and why"]);
    expect(problems({ ...failed(), invalidReasons: [{ code: "send-failures", detail: "3 failed" }] })).toEqual(["invalidReasons: a failed trial must carry the 'failed' reason"]);
    expect(problems({ ...failed(), valid: true })).toContain("valid: a failed trial cannot be valid");
  });

  test("an ok trial holds traffic-gen's summary and no failure", () => {
    const { trafficGen: _, ...noSummary } = ok();
    expect(problems(noSummary)).toEqual(["trafficGen: an ok trial must hold traffic-gen's summary"]);
    expect(problems({ ...ok(), failure: { step: "drain", message: "timeout" } })).toEqual(["failure: an ok trial cannot carry a failure"]);
  });

  test("valid means no reasons; invalid means at least one", () => {
    expect(problems({ ...ok(), invalidReasons: [{ code: "sink-cpu-high", detail: "91 %" }] })).toEqual(["invalidReasons: a valid trial has no invalid reasons"]);
    expect(problems({ ...ok(), valid: false })).toEqual(["invalidReasons: an invalid trial must say why"]);
    expect(problems({ ...ok(), valid: false, invalidReasons: [{ code: "sink-cpu-high", detail: "91 %" }] })).toEqual([]);
    expect(problems({ ...ok(), valid: false, invalidReasons: [{ code: "made-up", detail: "" }] })).toHaveLength(1);
  });

  test("endedAt is not before startedAt; equal is allowed", () => {
    expect(problems({ ...ok(), startedAt: "2026-03-01T09:00:00.000Z", endedAt: "2026-03-01T08:59:59.999Z" })).toEqual(["endedAt: endedAt is before startedAt"]);
    expect(problems({ ...ok(), startedAt: "2026-03-01T09:00:00.000Z", endedAt: "2026-03-01T09:00:00.000Z" })).toEqual([]);
    // offsets count: 10:00+02:00 is 08:00Z, before 09:00Z
    expect(problems({ ...ok(), startedAt: "2026-03-01T09:00:00Z", endedAt: "2026-03-01T10:00:00+02:00" })).toEqual(["endedAt: endedAt is before startedAt"]);
    expect(problems({ ...ok(), endedAt: "yesterday" })).toHaveLength(1);
  });

  test("files are paths inside the results folder, for the named files and any extra one", () => {
    const files = ok().files;
    expect(problems({ ...ok(), files: { ...files, trafficGenStdout: "/tmp/stdout" } })).toEqual(["files.trafficGenStdout: must be a path relative to the results folder, without '..'"]);
    expect(problems({ ...ok(), files: { ...files, samples: "../elsewhere/samples.jsonl" } })).toHaveLength(1);
    expect(problems({ ...ok(), files: { ...files, extra: "/etc/passwd" } })).toEqual(["files.extra: must be a path relative to the results folder, without '..'"]);
    expect(problems({ ...ok(), files: { ...files, extra: "trials/c2-r4/1/extra.txt" } })).toEqual([]);
  });

  test("relative paths: no leading slash, no '..' segment (either separator); '..' inside a name is fine", () => {
    for (const p of ["a/b.txt", "trials/1/stdout", "a..b/c", "..a/b"]) expect(relativePathSchema.safeParse(p).success, p).toBe(true);
    for (const p of ["", "/abs", "..", "../x", "a/../b", "a\\..\\b", "a/.."]) expect(relativePathSchema.safeParse(p).success, p).toBe(false);
  });

  test("a failed trial may carry other reasons beside 'failed'; every refinement issue is a custom one", () => {
    expect(problems({ ...failed(), invalidReasons: [{ code: "failed", detail: "x" }, { code: "send-failures", detail: "y" }] })).toEqual([]);
    const { failure: _, ...noFailure } = failed();
    const bad = [noFailure, { ...ok(), failure: { step: "s", message: "m" } }, { ...failed(), invalidReasons: [{ code: "send-failures", detail: "y" }] }, { ...failed(), valid: true }, { ...ok(), valid: false }];
    for (const record of bad) {
      const r = trialRecordSchema.safeParse(record);
      expect(r.success ? [] : r.error.issues.map((i) => i.code)).toEqual(expect.arrayContaining(["custom"]));
      expect(r.success ? [] : r.error.issues.filter((i) => i.code !== "custom")).toEqual([]);
    }
  });

  test("the record is strict: an unknown key or another schema version is refused", () => {
    expect(problems({ ...ok(), extra: 1 })).toHaveLength(1);
    expect(problems({ ...ok(), schemaVersion: 2 })).toHaveLength(1);
    expect(problems({ ...ok(), trial: 0 })).toHaveLength(1);
  });
});
