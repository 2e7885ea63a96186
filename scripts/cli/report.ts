/** `npm run report -- <results dir>`: builds the report of a results folder, writes its five files and prints the table. */
import { Command } from "commander";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { buildAndWriteReport } from "../report/write-report";

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name("report")
    .description("Build the throughput report (report.md, report.csv, report.json, chart.svg, report.html) of a results folder")
    .argument("<results-dir>", "the run's results folder (holds run.json, trials.jsonl, timeline.jsonl)")
    .parse(argv);
  const dir = resolve(program.args[0] ?? "");
  if (!existsSync(dir)) throw new Error(`results folder ${dir} does not exist; pass the folder a sweep or trial wrote (it holds run.json)`);
  const { report, markdown, files } = await buildAndWriteReport(dir);
  process.stdout.write(`${markdown}\n\n`);
  if (report.excluded.length > 0) process.stdout.write(`${report.excluded.length} trial(s) excluded from the means; see report.md\n`);
  for (const w of report.warnings) process.stdout.write(`warning: ${w}\n`);
  process.stdout.write(`Sweep cost: ${report.cost.totalUsd === null ? "unknown (a price is missing in run.json)" : `$${report.cost.totalUsd.toFixed(2)}`}\n`);
  process.stdout.write(`Wrote ${files.join(", ")}\n`);
}

main(process.argv).catch((e: unknown) => {
  process.stderr.write(`report failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
