/**
 * A workload's bodyFile: read and checked on the operator's machine (UTF-8, as traffic-gen's
 * read_to_string requires), its path on the sender, and the bytes each message then carries.
 * The copy itself and traffic-gen reading it run end to end in test/sweep/workloads.e2e.test.ts.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bodyFileMessageBytes, checkBodyFiles, readBodyFile, remoteBodyFilePath } from "../../scripts/provision/body-file";
import { workloadsSchema } from "../../lab-config/workloads";

const dir = mkdtempSync(path.join(tmpdir(), "kumolab-body-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bodyFile", () => {
  it("reads a UTF-8 message relative to the base folder, and counts its bytes with CRLF line endings", () => {
    // "Subject: é\n\nhi\n": 9 + 2 ('é' in UTF-8) + 1 + 1 + 2 + 1 = 16 bytes on disk; 3 LF become CRLF → 19 bytes sent.
    writeFileSync(path.join(dir, "m.eml"), "Subject: é\n\nhi\n");
    const b = readBodyFile("w", "m.eml", dir);
    expect(b).toEqual({ localPath: path.join(dir, "m.eml"), content: "Subject: é\n\nhi\n", bytes: 16 });
    expect(bodyFileMessageBytes(b.content)).toBe(19);
    // Already CRLF (and a mix) count the same: 2 CRLF + 1 LF → 3 CRLF.
    expect(bodyFileMessageBytes("Subject: é\r\n\r\nhi\n")).toBe(19);
  });

  it("refuses a missing file, a folder, an empty file and non-UTF-8 text, each saying what to do", () => {
    expect(() => readBodyFile("w", "nope.eml", dir)).toThrow(`workload 'w': traffic.bodyFile ${path.join(dir, "nope.eml")} ('nope.eml' from ${dir}) does not exist: fix the path in lab-config/lab.yaml (workloads.list)`);
    mkdirSync(path.join(dir, "sub"));
    expect(() => readBodyFile("w", path.join(dir, "sub"), dir)).toThrow("is not a regular file");
    writeFileSync(path.join(dir, "empty.eml"), "");
    expect(() => readBodyFile("w", "empty.eml", dir)).toThrow("is empty");
    writeFileSync(path.join(dir, "latin1.eml"), Buffer.from([0x53, 0x3a, 0x20, 0xe9, 0x0a])); // "S: é" in ISO-8859-1
    expect(() => readBodyFile("w", "latin1.eml", dir)).toThrow("is not UTF-8 text: traffic-gen reads it with read_to_string");
  });

  it("one file per workload on the sender, under /etc/kumolab/bodies; a name that is no workload's is refused", () => {
    expect(remoteBodyFilePath("smart-sink")).toBe("/etc/kumolab/bodies/smart-sink.eml");
    expect(() => remoteBodyFilePath("../x")).toThrow("not a workload name");
  });

  it("checkBodyFiles reads the files of the workloads to run only, one error per bad file", () => {
    writeFileSync(path.join(dir, "ok.eml"), "Subject: x\n\nbody\n");
    const workloads = workloadsSchema.parse({
      baseline: "published",
      list: [{ name: "published" }, { name: "good", traffic: { bodyFile: "ok.eml" } }, { name: "bad", traffic: { bodyFile: "missing.eml" } }, { name: "idle", traffic: { bodyFile: "gone.eml" } }],
    });
    expect(checkBodyFiles({ workloads }, ["published", "good"], dir)).toEqual([]);
    expect(checkBodyFiles({ workloads }, ["good", "bad"], dir)).toEqual([
      `workload 'bad': traffic.bodyFile ${path.join(dir, "missing.eml")} ('missing.eml' from ${dir}) does not exist: fix the path in lab-config/lab.yaml (workloads.list) — relative paths are from ${dir}`,
    ]);
  });
});
