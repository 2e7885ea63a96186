/**
 * The settings a sweep runs with, kept in run.json so that `--resume` finishes the run with the
 * same ones: the traffic, KumoMTA's settings, the workloads and the sink's port. A resume never
 * mixes settings: it uses run.json's, and when today's config differs it refuses, naming each
 * difference, unless told to go on (`--accept-config-change`, recorded in run.json).
 */
import { labConfigSchema, type LabConfig } from "../../lab-config/schema";
import { resolveWorkload } from "../../lab-config/workloads";
import type { RunManifest } from "../results/run-manifest";
import { durationCap } from "../trial/duration-cap";
import { trafficGenArgs } from "../trial/traffic-gen-args";

export type RunSettings = NonNullable<RunManifest["settings"]>;
type ManifestTraffic = RunManifest["traffic"];

export function runSettingsOf(cfg: LabConfig): RunSettings {
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
  return { traffic: plain(cfg.traffic), kumomta: plain(cfg.kumomta), workloads: plain(cfg.workloads), sinkSmtpPort: cfg.sink.smtpPort };
}

/** traffic-gen's parameters as run.json records them. */
export function manifestTraffic(traffic: LabConfig["traffic"] & { http?: { batchSize: number } | null; starttls?: boolean }): ManifestTraffic {
  const cap = durationCap(traffic);
  return { concurrency: traffic.concurrency, messageCount: traffic.messageCount, bodySizeBytes: traffic.bodySize, durationCapSeconds: cap.seconds, extraArgs: trafficGenArgs(traffic, "", cap.seconds).extraArgs };
}

/** Each workload's traffic in force, for run.json. */
export function workloadTrafficOf(cfg: LabConfig, workloads: string[]): Record<string, ManifestTraffic> {
  return Object.fromEntries(workloads.map((w) => [w, manifestTraffic(resolveWorkload(cfg, w).traffic)]));
}

/** Today's config with the run's settings in place of its own (validated again: run.json is a file someone may have edited). */
export function configForRun(today: LabConfig, manifest: RunManifest): LabConfig {
  const s = manifest.settings;
  if (!s) {
    // A run from before run.json kept its settings: its traffic is all there is.
    const t = manifest.traffic;
    return { ...today, traffic: { ...today.traffic, concurrency: t.concurrency, messageCount: t.messageCount, bodySize: t.bodySizeBytes } };
  }
  const merged = { ...today, traffic: s.traffic, kumomta: s.kumomta, workloads: s.workloads, sink: { ...today.sink, smtpPort: s.sinkSmtpPort }, profile: manifest.profile ?? today.profile };
  const parsed = labConfigSchema.safeParse(merged);
  if (!parsed.success) throw new Error(`run.json's settings are not a valid lab config any more (${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}); start a new sweep`);
  return parsed.data;
}

function flatten(v: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) out.set(prefix, "{}");
    for (const [k, child] of entries) flatten(child, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, v === undefined ? "(absent)" : JSON.stringify(v));
  return out;
}

/** What the run needs of a config: the traffic, KumoMTA, the sink port and each of its workloads as resolved. */
function relevant(cfg: LabConfig, workloads: string[]): Record<string, unknown> {
  return {
    // A resume under another profile would build another test bed (lab-config/profiles.ts).
    profile: cfg.profile,
    traffic: cfg.traffic,
    kumomta: cfg.kumomta,
    "sink.smtpPort": cfg.sink.smtpPort,
    workload: Object.fromEntries(
      workloads.map((w) => {
        try {
          const r = resolveWorkload(cfg, w);
          return [w, { traffic: r.traffic, sender: r.sender, sink: r.sink }];
        } catch {
          return [w, "(not defined)"];
        }
      }),
    ),
  };
}

/** One line per setting that differs: `traffic.messageCount: 20000 in run.json, 3000 in today's config`. */
export function settingsDifferences(run: LabConfig, today: LabConfig, workloads: string[]): string[] {
  const a = flatten(relevant(run, workloads), "", new Map());
  const b = flatten(relevant(today, workloads), "", new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: ${a.get(k) ?? "(absent)"} in run.json, ${b.get(k) ?? "(absent)"} in today's config`);
}

/** The message for a refused resume. */
export function refuseResumeMessage(dir: string, differences: string[]): string {
  return [
    `--resume: today's lab config differs from the settings this run started with (${dir}/run.json):`,
    ...differences.map((d) => `  - ${d}`),
    "A resume finishes the run with run.json's settings, so that every trial of it measures the same thing.",
    "To do that anyway (today's values are ignored for this run; the differences are recorded in run.json), add --accept-config-change.",
    "To measure the new settings, start a new sweep instead (without --resume).",
  ].join("\n");
}
