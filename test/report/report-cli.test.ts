import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../..");
const FIXTURE = join(__dirname, "../fixtures/results/sweep-3-sizes");
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kumolab-report-cli-"));
  cpSync(FIXTURE, dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cli(arg: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "scripts/cli/report.ts"), arg], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("report CLI", () => {
  it("writes the five files, prints the table, the cost and a torn-line warning", () => {
    appendFileSync(join(dir, "trials.jsonl"), '{"schemaVersion":1,"runId":"run-fix');
    const r = cli(dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\| CPU \| RAM \| RATE \|/);
    expect(r.out).toContain("| 8 | 32 | 4.899 MMH | m5.2xlarge | 3/4 |");
    expect(r.out).toContain("4 trial(s) excluded from the means");
    expect(r.out).toMatch(/warning: .*trials\.jsonl:13 is a torn last line/);
    expect(r.out).toContain("Sweep cost: $0.79");
    for (const f of ["report.md", "report.csv", "report.json", "chart.svg", "report.html"]) expect(existsSync(join(dir, f)), f).toBe(true);
  });

  it("a folder that does not exist fails with what to do", () => {
    const r = cli(join(dir, "nope"));
    expect(r.code).toBe(2); // a usage error, the same code as a config error in every command
    expect(r.err).toMatch(/report failed: results folder .*nope does not exist; pass the folder a sweep or trial wrote/);
  });
});
