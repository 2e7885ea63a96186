/**
 * The files of a results folder, read and written through the durable IO with their schemas.
 * Every write is synchronous (open, write, fsync, close in one call): the labs of a parallel sweep,
 * async tasks of one process, can never interleave two lines or tear one another's.
 */
import { join } from "node:path";
import { appendJsonLine, readJsonFile, readJsonLines, writeJsonAtomic, type TornLine } from "./durable-file";
import { runManifestSchema, type RunManifest } from "./run-manifest";
import { timelineEventSchema, type TimelineEvent } from "./timeline";
import { trialRecordSchema, type TrialRecord } from "./trial-record";

export const TRIALS_FILE = "trials.jsonl";
export const TIMELINE_FILE = "timeline.jsonl";
export const MANIFEST_FILE = "run.json";

export function appendRecord(dir: string, record: TrialRecord): void {
  appendJsonLine(join(dir, TRIALS_FILE), trialRecordSchema, record);
}

/** Every trial record, validated; `torn` is a crash-torn last line that was ignored (null when none). */
export function readRecords(dir: string): { records: TrialRecord[]; torn: TornLine | null } {
  const { values, torn } = readJsonLines(join(dir, TRIALS_FILE), trialRecordSchema);
  return { records: values, torn };
}

export function appendTimelineEvent(dir: string, event: TimelineEvent): void {
  appendJsonLine(join(dir, TIMELINE_FILE), timelineEventSchema, event);
}

export function readTimeline(dir: string): { events: TimelineEvent[]; torn: TornLine | null } {
  const { values, torn } = readJsonLines(join(dir, TIMELINE_FILE), timelineEventSchema);
  return { events: values, torn };
}

export function writeManifest(dir: string, manifest: RunManifest): void {
  writeJsonAtomic(join(dir, MANIFEST_FILE), runManifestSchema.parse(manifest));
}

export function readManifest(dir: string): RunManifest {
  return readJsonFile(join(dir, MANIFEST_FILE), runManifestSchema);
}
