/**
 * What the sweep cost: the sink's hourly price over the whole lab window plus each sender size's
 * hourly price over that size's window. Windows come from the timeline; where it lacks them
 * (an old or interrupted run), from the trials' own start/end times, and the report says so.
 */
import type { RunManifest } from "../results/run-manifest";
import type { TimelineEvent } from "../results/timeline";
import type { TrialRecord } from "../results/trial-record";

export type WindowSource = "timeline" | "trials" | "none";

export interface CostWindow {
  start: string | null;
  end: string | null;
  seconds: number;
  source: WindowSource;
}

export interface SizeCost {
  sizeId: string;
  hourlyUsd: number | null;
  window: CostWindow;
  /** hourlyUsd × window; null when the price is unknown. */
  usd: number | null;
}

export interface SweepCost {
  lab: CostWindow;
  sinkHourlyUsd: number | null;
  sinkUsd: number | null;
  /** The generator host over the lab window (run.json `generator`); absent without one, null without its price. */
  generator?: { label: string; hourlyUsd: number | null; usd: number | null };
  sizes: SizeCost[];
  /** Sink + generator + every sender size; null when a price is missing. */
  totalUsd: number | null;
  /** How each figure was obtained and what is missing, for the report. */
  notes: string[];
}

export const COST_METHOD =
  "sink hourly price (and the generator host's, when the lab has one) × the whole lab window (first lab-up-start to last lab-destroyed; with parallel labs, one sink per lab: the sum of the labs' windows) + each sender size's hourly price × its window (size-start — with prefetch, standby-start — to size-done); " +
  "windows missing from the timeline fall back to the first trial start and last trial end";

const ms = (iso: string): number => Date.parse(iso);

function windowOf(start: string | null, end: string | null, source: WindowSource): CostWindow {
  if (start === null || end === null) return { start, end, seconds: 0, source: "none" };
  return { start, end, seconds: Math.max(0, (ms(end) - ms(start)) / 1000), source };
}

function trialWindow(records: readonly TrialRecord[]): CostWindow {
  if (records.length === 0) return windowOf(null, null, "none");
  const start = records.reduce((a, r) => (ms(r.startedAt) < ms(a) ? r.startedAt : a), records[0]?.startedAt ?? "");
  const end = records.reduce((a, r) => (ms(r.endedAt) > ms(a) ? r.endedAt : a), records[0]?.endedAt ?? "");
  return windowOf(start, end, "trials");
}

function sorted(timeline: readonly TimelineEvent[]): TimelineEvent[] {
  return [...timeline].sort((a, b) => ms(a.at) - ms(b.at));
}

function labWindow(timeline: readonly TimelineEvent[], records: readonly TrialRecord[], notes: string[]): CostWindow {
  const events = sorted(timeline);
  const up = events.find((e) => e.kind === "lab-up-start");
  const destroyed = [...events].reverse().find((e) => e.kind === "lab-destroyed");
  if (up && destroyed) return windowOf(up.at, destroyed.at, "timeline");
  if (up) {
    const lastEvent = events[events.length - 1];
    const lastTrial = trialWindow(records).end;
    const end = [lastEvent?.at, lastTrial].filter((x): x is string => x != null).reduce((a, b) => (ms(b) > ms(a) ? b : a));
    notes.push(`the timeline has no lab-destroyed event: the lab is counted until the last recorded moment (${end}); if it is still running, it is still costing money`);
    return windowOf(up.at, end, "timeline");
  }
  notes.push("the timeline has no lab-up-start event: the lab window is taken from the first trial start to the last trial end (provisioning time is not counted)");
  return trialWindow(records);
}

function sizeWindow(sizeId: string, timeline: readonly TimelineEvent[], records: readonly TrialRecord[], notes: string[]): CostWindow {
  const events = sorted(timeline);
  const startIdx = events.map((e) => e.kind === "size-start" && e.sizeId === sizeId).lastIndexOf(true);
  // Prefetch: the size's sender was built on the standby slot while the size before was measured.
  const standby = events.slice(0, Math.max(0, startIdx)).filter((e) => e.kind === "standby-start" && e.sizeId === sizeId).at(-1);
  const start = standby ?? events[startIdx];
  if (startIdx >= 0 && start) {
    const end = events.slice(startIdx + 1).find((e) => (e.kind === "size-done" && e.sizeId === sizeId) || ["size-start", "lab-destroy-start", "lab-destroyed", "interrupted"].includes(e.kind));
    if (end) return windowOf(start.at, end.at, "timeline");
  }
  const own = records.filter((r) => r.sizeId === sizeId);
  const w = trialWindow(own);
  if (w.source !== "none") notes.push(`size ${sizeId}: no complete size-start/size-done window in the timeline; its trials' window is used (resize and provisioning time not counted)`);
  return w;
}

/**
 * A parallel sweep (events with `lab`) ran one sink per lab: the sink's window is the sum of the
 * labs' windows (each from its own events and its own sizes' trials), shown from the first lab's
 * start to the last lab's end.
 */
function labsWindow(manifest: RunManifest, timeline: readonly TimelineEvent[], records: readonly TrialRecord[], notes: string[]): CostWindow {
  const labs = [...new Set(timeline.flatMap((e) => (e.lab === undefined ? [] : [e.lab])))];
  if (labs.length === 0) return labWindow(timeline, records, notes);
  const windows = labs.map((lab) => {
    const sizes = new Set(manifest.labs?.find((l) => l.lab === lab)?.sizes ?? []);
    return labWindow(timeline.filter((e) => e.lab === lab), records.filter((r) => sizes.has(r.sizeId)), notes);
  });
  const known = windows.filter((w) => w.start !== null && w.end !== null);
  if (known.length === 0) return windowOf(null, null, "none");
  const start = known.map((w) => w.start as string).reduce((a, b) => (ms(b) < ms(a) ? b : a));
  const end = known.map((w) => w.end as string).reduce((a, b) => (ms(b) > ms(a) ? b : a));
  return { start, end, seconds: known.reduce((a, w) => a + w.seconds, 0), source: known.every((w) => w.source === "timeline") ? "timeline" : "trials" };
}

export function computeSweepCost(manifest: RunManifest, timeline: readonly TimelineEvent[], records: readonly TrialRecord[]): SweepCost {
  const notes: string[] = [];
  const lab = labsWindow(manifest, timeline, records, notes);
  const sinkHourlyUsd = manifest.sink.hourlyUsd ?? null;
  if (sinkHourlyUsd === null) notes.push(`no hourly price for the sink (${manifest.sink.label}) in run.json: its cost is unknown`);
  const sinkUsd = sinkHourlyUsd === null ? null : (sinkHourlyUsd * lab.seconds) / 3600;
  const sizes: SizeCost[] = manifest.sizes.map((s) => {
    // A size's window closes at its own lab's events, never at another lab's.
    const own = manifest.labs?.find((l) => l.sizes.includes(s.id))?.lab;
    const labelled = own !== undefined && timeline.some((e) => e.lab !== undefined);
    const window = sizeWindow(s.id, labelled ? timeline.filter((e) => e.lab === own) : timeline, records, notes);
    const hourlyUsd = s.hourlyUsd ?? null;
    if (hourlyUsd === null) notes.push(`no hourly price for size ${s.id} (${s.label}) in run.json: its cost is unknown`);
    return { sizeId: s.id, hourlyUsd, window, usd: hourlyUsd === null ? null : (hourlyUsd * window.seconds) / 3600 };
  });
  let generator: SweepCost["generator"];
  if (manifest.generator) {
    const hourlyUsd = manifest.generator.hourlyUsd ?? null;
    if (hourlyUsd === null) notes.push(`no hourly price for the generator host (${manifest.generator.label}) in run.json: its cost is unknown (generator.hourlyUsd)`);
    generator = { label: manifest.generator.label, hourlyUsd, usd: hourlyUsd === null ? null : (hourlyUsd * lab.seconds) / 3600 };
  }
  const onSpot = [manifest.spot?.sender ? "sender" : null, manifest.spot?.sink ? "sink" : null].filter((h): h is string => h !== null);
  // run.json's prices are on-demand ones: a spot host's real price was lower (and varies by the hour).
  if (onSpot.length > 0) notes.push(`the ${onSpot.join(" and ")} ran on spot capacity, priced here at on-demand rates: the real cost was lower (see your cloud bill)`);
  const parts = [sinkUsd, ...(generator ? [generator.usd] : []), ...sizes.map((s) => s.usd)];
  const totalUsd = parts.some((p) => p === null) ? null : parts.reduce<number>((a, b) => a + (b ?? 0), 0);
  return { lab, sinkHourlyUsd, sinkUsd, ...(generator ? { generator } : {}), sizes, totalUsd, notes };
}
