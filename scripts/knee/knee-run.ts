/**
 * A knee run's plan and steps, in `<results>/knee.json` (zod-validated on write and read). Each
 * step is a trial recorded in `trials.jsonl` like a sweep's (same record schema), found by its
 * trial number; knee.json says which throttle it ran at.
 */
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, writeJsonAtomic } from "../results/durable-file";

export const KNEE_FILE = "knee.json";

export const kneeStepSchema = z
  .object({
    /** The trial number of the step's record in trials.jsonl (1 = the unthrottled step). */
    trial: z.number().int().positive(),
    /** The fraction of the unthrottled rate offered; null = the unthrottled step. */
    fraction: z.number().positive().max(1).nullable(),
    /** traffic-gen's `--throttle`, e.g. `350/s`; null = none. */
    throttle: z.string().min(1).nullable(),
    /** The offered load the throttle stands for, msgs/s; null = unthrottled. */
    offeredMsgsPerSec: z.number().positive().nullable(),
  })
  .strict();
export type KneeStep = z.infer<typeof kneeStepSchema>;

export const kneeRunSchema = z
  .object({
    schemaVersion: z.literal(1),
    runId: z.string().min(1),
    createdAt: z.iso.datetime({ offset: true }),
    /** The lab it ran on, e.g. `stack knee (file:///…)` or `inventory hosts.yaml`. */
    lab: z.string().min(1),
    sizeId: z.string().min(1),
    /** The fractions of the unthrottled rate the throttled steps offer, in the order run. */
    fractions: z.array(z.number().positive().max(1)).min(1),
    /** Steady-state steps of this many seconds; absent = steps of traffic.messageCount messages. */
    durationSeconds: z.number().int().positive().optional(),
    /** The unthrottled step's acceptance rate, msgs/s: what the fractions are of. Null until it ran (or when it failed). */
    maxMsgsPerSec: z.number().positive().nullable(),
    steps: z.array(kneeStepSchema),
  })
  .strict();
export type KneeRun = z.infer<typeof kneeRunSchema>;

export function writeKneeRun(dir: string, run: KneeRun): void {
  writeJsonAtomic(join(dir, KNEE_FILE), kneeRunSchema.parse(run));
}

export function readKneeRun(dir: string): KneeRun {
  return readJsonFile(join(dir, KNEE_FILE), kneeRunSchema);
}

/** Default fractions of the unthrottled rate (`--fractions` overrides). */
export const DEFAULT_FRACTIONS = [0.25, 0.5, 0.7, 0.85, 1.0] as const;

/** `--fractions 0.25,0.5,…`: each in (0, 1], given once; in ascending order. Throws with what is wrong. */
export function parseFractions(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0) throw new Error("give one or more fractions of the unthrottled rate, e.g. 0.25,0.5,0.85");
  const values = parts.map((p) => {
    const n = Number(p);
    if (!/^\d*\.?\d+$/.test(p) || !(n > 0) || n > 1) throw new Error(`'${p}' is not a fraction in (0, 1] (e.g. 0.5 for half the unthrottled rate)`);
    return n;
  });
  const repeated = values.filter((v, i) => values.indexOf(v) !== i);
  if (repeated.length > 0) throw new Error(`${repeated.join(", ")} given more than once`);
  return [...values].sort((a, b) => a - b);
}
