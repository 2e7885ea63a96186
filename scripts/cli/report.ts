/**
 * `npm run report -- <results dir>`: builds the report of a results folder, writes its files and prints the table.
 * `npm run report -- --compare results/A results/B [...]`: compares runs (each later one against the first) and
 * writes compare.md, compare.html and compare.json (into --out, default results/compare-<A>-vs-<B>… beside A).
 */
import { Command } from "commander";
import { existsSync, mkdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { writeComparison } from "../report/compare";
import { buildAndWriteReport } from "../report/write-report";
import { KNEE_FILE } from "../knee/knee-run";
import { writeKneeReport } from "../knee/knee-report";
import { exitCodeOf, UsageError } from "./exit-codes";

function mustExist(dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new UsageError(`results folder ${abs} does not exist; pass the folder a sweep or trial wrote (it holds run.json)`);
  return abs;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name("report")
    .description("Build the throughput report (report.md, report.csv, report.json, chart.svg, cost-chart.svg, report.html) of a results folder, or compare runs")
    .argument("[results-dir]", "the run's results folder (holds run.json, trials.jsonl, timeline.jsonl)")
    .option("--compare <dirs...>", "compare two or more results folders (each later one against the first)")
    .option("--out <dir>", "where --compare writes compare.md, compare.html and compare.json")
    .parse(argv);
  const opts = program.opts<{ compare?: string[]; out?: string }>();
  if (opts.compare !== undefined) {
    const dirs = [...opts.compare, ...program.args].map(mustExist);
    if (dirs.length < 2) throw new UsageError("--compare needs at least two results folders");
    const out = resolve(opts.out ?? join(dirname(dirs[0] ?? "."), `compare-${dirs.map((d) => basename(d)).join("-vs-")}`));
    mkdirSync(out, { recursive: true });
    const { markdown, files } = writeComparison(dirs, out);
    process.stdout.write(`${markdown}\nWrote ${files.join(", ")}\n`);
    return;
  }
  const dir = mustExist(program.args[0] ?? "");
  // A knee run (npm run knee) has knee.json instead of run.json: its own report.
  if (existsSync(join(dir, KNEE_FILE)) && !existsSync(join(dir, "run.json"))) {
    const knee = await writeKneeReport(dir);
    process.stdout.write(`${knee.markdown}
Wrote ${knee.files.join(", ")}
`);
    return;
  }
  const { report, markdown, files } = await buildAndWriteReport(dir);
  process.stdout.write(`${markdown}\n\n`);
  for (const s of report.headline) process.stdout.write(`${s}\n`);
  if (report.headline.length > 0) process.stdout.write("\n");
  if (report.excluded.length > 0) process.stdout.write(`${report.excluded.length} trial(s) excluded from the means; see report.md\n`);
  for (const w of report.warnings) process.stdout.write(`warning: ${w}\n`);
  const c = report.cost;
  const tr = report.transfer;
  process.stdout.write(
    `Sweep cost: ${c.totalUsd === null ? "unknown (a price is missing in run.json)" : `$${c.totalUsd.toFixed(2)}`} compute + ${tr.usd === null ? "data transfer not priced" : `$${tr.usd.toFixed(2)} data transfer`}\n`,
  );
  process.stdout.write(`Wrote ${files.join(", ")}\n`);
}

main(process.argv).catch((e: unknown) => {
  process.stderr.write(`report failed: ${e instanceof Error ? e.message : String(e)}\n`);
  // A folder that does not exist is a usage error (2), like a wrong option anywhere (scripts/cli/exit-codes.ts).
  process.exitCode = exitCodeOf(e);
});
