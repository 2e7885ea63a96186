/** The files of a results folder, read and written through the durable IO with their schemas. */
import { join } from "node:path";
import { appendJsonLine, readJsonFile, readJsonLines, writeJsonAtomic, type JsonLines } from "./durable-file";
import { runManifestSchema, type RunManifest } from "./run-manifest";
import { timelineEventSchema, type TimelineEvent } from "./timeline";
import { trialRecordSchema, type TrialRecord } from "./trial-record";

export const TRIALS_FILE = "trials.jsonl";
export const TIMELINE_FILE = "timeline.jsonl";
export const MANIFEST_FILE = "run.json";

export function appendRecord(dir: string, record: TrialRecord): void {
  appendJsonLine(join(dir, TRIALS_FILE), trialRecordSchema, record);
}

export function readRecords(dir: string): JsonLines<TrialRecord> {
  return readJsonLines(join(dir, TRIALS_FILE), trialRecordSchema);
}

export function appendTimelineEvent(dir: string, event: TimelineEvent): void {
  appendJsonLine(join(dir, TIMELINE_FILE), timelineEventSchema, event);
}

export function readTimeline(dir: string): JsonLines<TimelineEvent> {
  return readJsonLines(join(dir, TIMELINE_FILE), timelineEventSchema);
}

export function writeManifest(dir: string, manifest: RunManifest): void {
  writeJsonAtomic(join(dir, MANIFEST_FILE), runManifestSchema.parse(manifest));
}

export function readManifest(dir: string): RunManifest {
  return readJsonFile(join(dir, MANIFEST_FILE), runManifestSchema);
}
