/**
 * The comparison report on two fixture runs (test/fixtures/results/generate-compare.ts) with a known
 * significant and a known insignificant difference. Figures worked out by hand (checked with SciPy's
 * stats.ttest_ind(b, a, equal_var=False) and stats.t.ppf), never with the report's own code.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../..");
const FIXTURES = join(__dirname, "../fixtures/results");
let dir: string;
let out: { code: number | null; stdout: string; stderr: string };
let json: {
  rows: Array<{ sizeId: string; cells: Array<{ row: { mmh: number | null; ci95Mmh: { low: number; high: number } | null } | null }>; versus: Array<{ differencePct: number | null; welch: { t: number; df: number; tCritical: number; p: number; significant: boolean } | null; verdict: string }> }>;
  differences: Array<{ what: string; values: string[] }>;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kumolab-compare-"));
  cpSync(join(FIXTURES, "compare-a"), join(dir, "A"), { recursive: true });
  cpSync(join(FIXTURES, "compare-b"), join(dir, "B"), { recursive: true });
  const r = spawnSync(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "scripts/cli/report.ts"), "--compare", join(dir, "A"), join(dir, "B")], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  out = { code: r.status, stdout: r.stdout, stderr: r.stderr };
  json = JSON.parse(readFileSync(join(dir, "compare-A-vs-B", "compare.json"), "utf8")) as typeof json;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run report -- --compare A B", () => {
  it("writes compare.md, compare.html and compare.json beside the runs", () => {
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    for (const f of ["compare.md", "compare.html", "compare.json"]) expect(existsSync(join(dir, "compare-A-vs-B", f)), f).toBe(true);
  });

  it("2 vCPU: +21.6 %, significant (Welch t 5.649, df 3.720, t crit 2.861, p 0.006)", () => {
    const c2 = json.rows.find((r) => r.sizeId === "c2-r4");
    // A = 2.4, 2.5, 2.25: mean 2.383333, s 0.125831, CI ± 4.303 · s/√3 = ± 0.312606 → 2.070728–2.695939.
    // B = 3, 2.88, 2.8125: mean 2.8975, s 0.094967, CI ± 4.303 · s/√3 = ± 0.235926 → 2.661574–3.133426.
    expect(c2?.cells[0]?.row?.mmh).toBeCloseTo(2.383333, 6);
    expect(c2?.cells[0]?.row?.ci95Mmh?.low).toBeCloseTo(2.070728, 5);
    expect(c2?.cells[1]?.row?.mmh).toBeCloseTo(2.8975, 6);
    expect(c2?.cells[1]?.row?.ci95Mmh?.high).toBeCloseTo(3.133426, 5);
    // 2.8975 / 2.383333 − 1 = 0.215734; s²/n 0.00527778 and 0.00300625 → SE 0.0910166, t = 0.514167 / 0.0910166 = 5.649150,
    // df = 0.00828403² / (0.00527778²/2 + 0.00300625²/2) = 3.720277, t_{0.975, 3.720277} = 2.860745, p = 0.005996.
    const v = c2?.versus[0];
    expect(v?.differencePct).toBeCloseTo(21.5734, 3);
    expect(v?.welch?.t).toBeCloseTo(5.64915, 4);
    expect(v?.welch?.df).toBeCloseTo(3.720277, 5);
    expect(v?.welch?.tCritical).toBeCloseTo(2.860745, 5);
    expect(v?.welch?.p).toBeCloseTo(0.005996, 5);
    expect(v?.welch?.significant).toBe(true);
    expect(out.stdout).toContain("| c5.large · 2 vCPU | 2.383 MMH [2.071–2.696] n=3 | 2.897 MMH [2.662–3.133] n=3 | +21.6 % | t = 5.65, df = 3.72, t crit = 2.861 | faster: significant at 95 % (p = 0.006) |");
  });

  it("8 vCPU: +1.4 %, not significant (Welch t 0.302, df 3.927, t crit 2.797, p 0.778)", () => {
    // A = 4.8, 4.5, 5 (mean 4.766667, s² 0.063333); B = 5, 5, 4.5 (mean 4.833333, s² 0.083333); 4.833333 / 4.766667 − 1 = 0.013986.
    // SE = √(0.0211111 + 0.0277778) = 0.221108; t = 0.0666667 / 0.221108 = 0.301511; df = 3.926978; t crit 2.796925; p 0.778315.
    const v = json.rows.find((r) => r.sizeId === "c8-r32")?.versus[0];
    expect(v?.differencePct).toBeCloseTo(1.3986, 3);
    expect(v?.welch?.t).toBeCloseTo(0.301511, 5);
    expect(v?.welch?.df).toBeCloseTo(3.926978, 5);
    expect(v?.welch?.tCritical).toBeCloseTo(2.796925, 5);
    expect(v?.welch?.p).toBeCloseTo(0.778315, 5);
    expect(v?.welch?.significant).toBe(false);
    expect(v?.verdict).toBe("no significant difference at 95 % (p = 0.78)");
  });

  it("a size only B planned, never run, reads as such", () => {
    const c4 = json.rows.find((r) => r.sizeId === "c4-r16");
    expect(c4?.cells[0]?.row).toBeNull();
    expect(c4?.versus[0]?.welch).toBeNull();
    expect(out.stdout).toContain("| m5.xlarge · 4 vCPU | size not in this run | not run (0 of 3 planned) | — | — |");
  });

  it("names what differs: versions and egress TLS", () => {
    const what = Object.fromEntries(json.differences.map((d) => [d.what, d.values]));
    expect(what["KumoMTA version (sender)"]).toEqual(["kumod 2025.05.06-b29689af", "kumod 2026.03.04-abcdef12"]);
    expect(what["egress TLS"]).toEqual(["STARTTLS, certificate not verified (opportunistic-insecure)", "plain SMTP, no TLS (disabled)"]);
    expect(what["traffic-gen"]).toBeUndefined();
    const html = readFileSync(join(dir, "compare-A-vs-B", "compare.html"), "utf8");
    expect(html).toContain('<tr class="significant">');
    expect(html).toContain("What differs between the runs");
  });
});
