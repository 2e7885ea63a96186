/**
 * The report of a run of several workloads (test/fixtures/results/workloads-2x3, written by
 * generate-workloads.ts): rows per (size, workload), and every workload against the baseline per
 * size — the % difference with the 95 % interval of the difference of the means (Welch). Figures
 * worked out by hand below (and checked with SciPy's stats.ttest_ind(w, b, equal_var=False) and
 * stats.t.ppf), never with the report's own code. A run of `published` alone reads as before.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildReport } from "../../scripts/report/build-report";
import { renderCsv } from "../../scripts/report/csv";
import { renderHtml } from "../../scripts/report/html";
import { renderMarkdown } from "../../scripts/report/markdown";
import { compareReports } from "../../scripts/report/compare";

const FIXTURES = join(__dirname, "../fixtures/results");
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kumolab-workloads-report-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string): string => {
  const d = join(dir, name);
  cpSync(join(FIXTURES, name), d, { recursive: true });
  return d;
};

describe("a run of three workloads at two sizes", () => {
  it("one row per (size, workload) in run.json's order, each over its own trials", () => {
    const report = buildReport(fixture("workloads-2x3"));
    expect(report.rows.map((r) => `${r.sizeId}/${r.workload}: ${r.trialsValid} of ${r.trialsTotal}`)).toEqual([
      "c2-r4/published: 3 of 3", "c2-r4/dkim: 3 of 3", "c2-r4/smart: 1 of 2",
      "c4-r16/published: 3 of 3", "c4-r16/dkim: 3 of 3", "c4-r16/smart: 3 of 3",
    ]);
    // MMH = 360 ÷ elapsed: dkim at 2 vCPU 360/180, 360/200, 360/225 = 2, 1.8, 1.6 → mean 1.8.
    expect(report.rows[1]?.validMmh).toEqual([2, 1.8, 1.6]);
    expect(report.rows[1]?.mmh).toBeCloseTo(1.8, 9);
    expect(report.excluded).toEqual([expect.objectContaining({ sizeId: "c2-r4", workload: "smart", trial: 2, status: "failed" })]);
    expect(report.trials.map((t) => t.workload)).toEqual(["published", "published", "published", "dkim", "dkim", "dkim", "smart", "smart", "published", "published", "published", "dkim", "dkim", "dkim", "smart", "smart", "smart"]);
    expect(report.warnings).toEqual([]);
  });

  it("2 vCPU, dkim vs published: −24.48 % (95 % CI −41.61 % to −7.34 %), significant", () => {
    // published b = 2.4, 2.5, 2.25: mean 2.383333, s² 0.0158333, s²/n 0.00527778.
    // dkim w = 2, 1.8, 1.6: mean 1.8, s² 0.04, s²/n 0.0133333.
    // difference 1.8 − 2.383333 = −0.583333; ÷ 2.383333 = −24.4755 %.
    // SE = √(0.00527778 + 0.0133333) = 0.136423; df = 0.0186111² / (0.00527778²/2 + 0.0133333²/2) = 3.368856;
    // t_{0.975, 3.368856} = 2.994123; −0.583333 ± 2.994123 · 0.136423 = −0.991800 … −0.174867; ÷ 2.383333 → −41.6140 % … −7.3371 %.
    // t = −0.583333 / 0.136423 = −4.275931, p = 0.018533.
    const d = buildReport(fixture("workloads-2x3")).workloads?.differences.find((x) => x.sizeId === "c2-r4" && x.workload === "dkim");
    expect(d?.baseline).toBe("published");
    expect(d?.differencePct).toBeCloseTo(-24.4755, 3);
    expect(d?.ci95Pct?.low).toBeCloseTo(-41.614, 3);
    expect(d?.ci95Pct?.high).toBeCloseTo(-7.3371, 3);
    expect(d?.welch?.df).toBeCloseTo(3.368856, 5);
    expect(d?.welch?.tCritical).toBeCloseTo(2.994123, 5);
    expect(d?.welch?.t).toBeCloseTo(-4.275931, 5);
    expect(d?.welch?.p).toBeCloseTo(0.018533, 5);
    expect(d?.welch?.significant).toBe(true);
  });

  it("4 vCPU: dkim −28.16 % (CI −54.44 % to −1.88 %); smart −10.74 % with no spread of its own (CI −38.52 % to +17.03 %, within the noise)", () => {
    const ds = buildReport(fixture("workloads-2x3")).workloads?.differences ?? [];
    // published b = 4, 3.6, 4.5: mean 4.033333, s² 0.203333, s²/n 0.0677778.
    // dkim w = 3, 2.88, 2.8125: mean 2.8975, s² 0.00901875, s²/n 0.00300625.
    // difference −1.135833 ÷ 4.033333 = −28.1612 %; SE = √0.0707840 = 0.266053;
    // df = 0.0707840² / (0.0677778²/2 + 0.00300625²/2) = 2.177070; t crit 3.984098;
    // −1.135833 ± 3.984098 · 0.266053 = −2.195828 … −0.075839 → −54.4416 % … −1.8807 %.
    const dkim = ds.find((x) => x.sizeId === "c4-r16" && x.workload === "dkim");
    expect(dkim?.differencePct).toBeCloseTo(-28.1612, 3);
    expect(dkim?.ci95Pct?.low).toBeCloseTo(-54.4416, 3);
    expect(dkim?.ci95Pct?.high).toBeCloseTo(-1.8807, 3);
    expect(dkim?.welch?.df).toBeCloseTo(2.17707, 4);
    // smart w = 3.6 × 3 (s = 0): difference −0.433333 ÷ 4.033333 = −10.7438 %; SE = √0.0677778 = 0.260342;
    // df = 0.0677778² / (0.0677778²/2) = 2 exactly; t crit 4.302653; −0.433333 ± 1.120160 → −38.5164 % … +17.0288 %.
    const smart = ds.find((x) => x.sizeId === "c4-r16" && x.workload === "smart");
    expect(smart?.differencePct).toBeCloseTo(-10.7438, 3);
    expect(smart?.ci95Pct?.low).toBeCloseTo(-38.5164, 3);
    expect(smart?.ci95Pct?.high).toBeCloseTo(17.0288, 3);
    expect(smart?.welch?.df).toBeCloseTo(2, 9);
    expect(smart?.welch?.significant).toBe(false);
  });

  it("one valid trial on a side: the difference, but no interval and no test", () => {
    // smart at 2 vCPU: 360/240 = 1.5 (trial 2 failed); 1.5 ÷ 2.383333 − 1 = −37.0629 %.
    const d = buildReport(fixture("workloads-2x3")).workloads?.differences.find((x) => x.sizeId === "c2-r4" && x.workload === "smart");
    expect(d).toMatchObject({ n: 1, nBaseline: 3, ci95Pct: null, welch: null });
    expect(d?.differencePct).toBeCloseTo(-37.0629, 3);
  });

  it("report.md: a Workloads section with the differences per size; headline about the baseline; rows and trials named by workload", () => {
    const md = renderMarkdown(buildReport(fixture("workloads-2x3")));
    expect(md).toContain("## Workloads\n\nWorkloads run at each size: published, dkim, smart. Baseline: **published**.");
    expect(md).toContain("| c5.large · 2 vCPU | dkim | 1.800 (n=3) | 2.383 (n=3) | −24.5 % | −41.6 % to −7.3 % | t = -4.28, df = 3.37, t crit = 2.994 | slower: significant at 95 % (p = 0.019) |");
    expect(md).toContain("| c5.large · 2 vCPU | smart | 1.500 (n=1) | 2.383 (n=3) | −37.1 % | fewer than 2 valid trials a side | — | too few valid trials to test |");
    expect(md).toContain("| m5.xlarge · 4 vCPU | smart | 3.600 (n=3) | 4.033 (n=3) | −10.7 % | −38.5 % to +17.0 % | t = -1.66, df = 2.00, t crit = 4.303 | within the noise (p = 0.24) |");
    expect(md).toContain("- Figures for the baseline workload 'published'; the Workloads section compares the others with it.");
    // The headline's own figures are the baseline's: 2 vCPU 2.383, 4 vCPU 4.033 → +69 % (4.033333/2.383333 − 1 = 0.692308); no excluded trial among them.
    expect(md).toContain("- Adding vCPUs: +69 % from 2 to 4 vCPU");
    expect(md).not.toMatch(/trials were excluded from the means/);
    expect(md).toContain("| c5.large · 2 vCPU / 4 GiB · smart | 1 valid of 2 (3 planned) | 1.50 |");
    expect(md).toContain("- c2-r4 × smart trial 2 (failed): failed — traffic-gen: traffic-gen exited 1");
    const csv = renderCsv(buildReport(fixture("workloads-2x3"))).split("\n");
    expect(csv[0]?.startsWith("sizeId,workload,label,vcpu,")).toBe(true);
    expect(csv[2]?.startsWith("c2-r4,dkim,c5.large,2,4,x86_64,3,3,1.8,")).toBe(true);
  });

  it("report.html: the Workloads table; --compare takes the baseline's rows", () => {
    const report = buildReport(fixture("workloads-2x3"));
    const html = renderHtml(report, { rate: "<svg></svg>", rateNarrow: "<svg></svg>", cost: "<svg></svg>", costNarrow: "<svg></svg>" });
    expect(html).toContain('<h2 id="workloads">Workloads</h2>');
    expect(html).toMatch(/<tr class="workload"><td data-label="size">c5\.large · 2 vCPU<\/td><td data-label="workload">dkim<\/td>.*?<td data-label="difference" class="num">−24\.5 %<\/td>/);
    const c = compareReports([{ dir: "a", report }, { dir: "b", report }]);
    expect(c.rows.map((r) => r.cells[0]?.row?.mmh)).toEqual([report.rows[0]?.mmh, report.rows[3]?.mmh]);
  });
});

describe("a run of the published workload alone", () => {
  it("reads exactly as before workloads: no workload in rows, trials, CSV or Markdown, whether run.json names the workload or not", () => {
    const plain = fixture("sweep-3-sizes");
    const named = join(dir, "named");
    cpSync(plain, named, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(named, "run.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(named, "run.json"), JSON.stringify({ ...manifest, workloads: { names: ["published"], baseline: "published" } }));
    const a = buildReport(plain);
    const b = buildReport(named);
    expect(a.workloads).toBeUndefined();
    expect(b.workloads).toBeUndefined();
    expect(a.rows.some((r) => "workload" in r)).toBe(false);
    expect(a.trials.some((t) => "workload" in t)).toBe(false);
    expect(renderMarkdown(a)).not.toContain("Workloads");
    expect(renderMarkdown(b)).toBe(renderMarkdown(a));
    expect(renderCsv(b)).toBe(renderCsv(a));
    expect(renderCsv(a).split("\n")[0]?.startsWith("sizeId,label,")).toBe(true);
    expect(JSON.stringify({ ...b, manifest: null })).toBe(JSON.stringify({ ...a, manifest: null }));
  });
});
