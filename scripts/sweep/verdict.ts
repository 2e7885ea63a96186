/**
 * The sweep's verdict at the terminal: each trial VALID or INVALID (with its reasons), the closing
 * count of valid / invalid / failed trials per size (× workload), a loud line for every size that
 * has no valid figure, and the exit code that says whether every size got one (./../cli/exit-codes.ts).
 */
import { PUBLISHED_WORKLOAD } from "../../lab-config/workloads";
import { EXIT } from "../cli/exit-codes";
import { coolDownText, type CoolDown } from "./settle";
import { rateDropText, type RateDrop } from "../trial/rate-drop";

/** What the verdict needs of a trial record. */
export interface VerdictRecord {
  sizeId: string;
  trial: number;
  status: "ok" | "failed";
  valid: boolean;
  invalidReasons: Array<{ code: string; detail: string }>;
  failure?: { step: string; message: string };
  workload?: { name: string };
  trafficGen?: { rate: { msgsPerSec: number } };
  /** The cool-down before the trial (./settle.ts); absent before a size's first trial and in older records. */
  coolDown?: CoolDown;
  /** A steady-state trial's drop flag (../trial/rate-drop.ts); absent or null = not judged. */
  rateOverTime?: { drop: RateDrop | null };
}

/** One trial's line: ends with VALID or INVALID and, when invalid, every reason; then a steady-state trial's rate-dropped flag. */
export function trialVerdictLine(r: VerdictRecord): string {
  const line = verdictLineOnly(r);
  const drop = r.rateOverTime?.drop;
  const flagged = drop?.dropped ? `${line} ⚠ rate-dropped: ${rateDropText(drop)} — the mean is not the sustained rate` : line;
  return r.coolDown ? `${flagged} (after a cool-down of ${coolDownText(r.coolDown)})` : flagged;
}

function verdictLineOnly(r: VerdictRecord): string {
  const where = `${r.sizeId}${r.workload && r.workload.name !== PUBLISHED_WORKLOAD ? ` × ${r.workload.name}` : ""} trial ${r.trial}`;
  const rate = r.trafficGen ? `${r.trafficGen.rate.msgsPerSec.toFixed(1)} msgs/s` : undefined;
  if (r.status === "failed") return `${where}: FAILED — ${r.failure ? `${r.failure.step}: ${r.failure.message}` : "the trial did not complete"} → INVALID`;
  if (r.valid) return `${where}: ${rate ?? "no rate"} → VALID`;
  return `${where}: ${rate ? `${rate} (not used)` : "no rate"} → INVALID: ${r.invalidReasons.map((x) => `${x.code} (${x.detail})`).join("; ")}`;
}

export interface CellVerdict {
  sizeId: string;
  workload: string;
  valid: number;
  invalid: number;
  failed: number;
  /** Planned trials not recorded (interrupted or never reached). */
  missing: number;
  /** Invalid reasons over the cell's trials: code → count. */
  reasons: Record<string, number>;
}

export interface SweepVerdict {
  cells: CellVerdict[];
  /** Cells with no valid trial. */
  withoutFigure: CellVerdict[];
  lines: string[];
  /** OK when every cell has a valid figure, else NO_VALID_FIGURE. */
  exitCode: number;
}

/** Counts per (size, workload) over the records of the run, in plan order. */
export function sweepVerdict(records: readonly VerdictRecord[], plan: { sizeIds: string[]; workloads: string[]; trials: number }): SweepVerdict {
  const cells: CellVerdict[] = plan.sizeIds.flatMap((sizeId) =>
    plan.workloads.map((workload) => {
      const own = records.filter((r) => r.sizeId === sizeId && (r.workload?.name ?? PUBLISHED_WORKLOAD) === workload);
      const reasons: Record<string, number> = {};
      for (const r of own) if (r.status === "ok" && !r.valid) for (const x of r.invalidReasons) reasons[x.code] = (reasons[x.code] ?? 0) + 1;
      const valid = own.filter((r) => r.status === "ok" && r.valid).length;
      const failed = own.filter((r) => r.status === "failed").length;
      const invalid = own.length - valid - failed;
      return { sizeId, workload, valid, invalid, failed, missing: Math.max(0, plan.trials - new Set(own.map((r) => r.trial)).size), reasons };
    }),
  );
  const multi = plan.workloads.length > 1 || plan.workloads[0] !== PUBLISHED_WORKLOAD;
  const name = (c: CellVerdict) => (multi ? `${c.sizeId} × ${c.workload}` : c.sizeId);
  const why = (c: CellVerdict) => Object.entries(c.reasons).map(([code, n]) => `${code} ×${n}`).join(", ");
  const withoutFigure = cells.filter((c) => c.valid === 0);
  const lines = [
    "Verdict (valid / invalid / failed trials):",
    ...cells.map(
      (c) =>
        `  ${name(c)}: ${c.valid} valid, ${c.invalid} invalid, ${c.failed} failed${c.missing > 0 ? `, ${c.missing} not run` : ""}${c.invalid > 0 ? ` (${why(c)})` : ""}${c.valid === 0 ? "  ← NO VALID FIGURE" : ""}`,
    ),
    ...(withoutFigure.length === 0
      ? [`Every size has a valid figure.`]
      : [
          `NO VALID FIGURE for ${withoutFigure.map(name).join(", ")}: ${withoutFigure.length === cells.length ? "the sweep produced no figure at all; " : ""}the report shows these sizes as excluded. Fix the cause above (see each trial's reasons) and run them again.`,
        ]),
  ];
  return { cells, withoutFigure, lines, exitCode: withoutFigure.length === 0 ? EXIT.OK : EXIT.NO_VALID_FIGURE };
}
