/** The traffic-gen command line for a trial, from the lab config. */
import type { LabConfig } from "../../lab-config/schema";

export const TRAFFIC_GEN_PATH = "/opt/kumomta/sbin/traffic-gen";

export interface TrafficGenArgs {
  argv: string[];
  /** The flags beyond the published run's (domains, headers, throttle). */
  extraArgs: string[];
}

/**
 * A workload's injection options beyond `traffic:` (lab-config/workloads.ts); absent = SMTP, no STARTTLS.
 * `remoteBodyFile`: the body file's path ON THE SENDER (scripts/provision/body-file.ts), never the operator's.
 */
export interface InjectionOptions { http?: { batchSize: number } | null; starttls?: boolean; remoteBodyFile?: string | null }

/**
 * `target`: host:port for SMTP; with `http`, the base URL of kumod's HTTP listener (traffic-gen appends /api/inject/v1).
 * `mode`: `count` (default) sends `traffic.messageCount` with `durationCapSeconds` as the deadline;
 * `duration` runs for `durationCapSeconds` without `--message-count` (traffic-gen's `done()` is then
 * each client's elapsed time; crates/traffic-gen/src/main.rs).
 */
export function trafficGenArgs(traffic: LabConfig["traffic"] & InjectionOptions, target: string, durationCapSeconds: number, mode: "count" | "duration" = "count"): TrafficGenArgs {
  const extraArgs: string[] = [];
  if (traffic.http) extraArgs.push("--http", "--http-batch-size", String(traffic.http.batchSize));
  if (traffic.starttls) extraArgs.push("--starttls");
  for (const d of traffic.domains) extraArgs.push("--domain", d.weight === undefined ? d.name : `${d.name}:${d.weight}`);
  for (const h of traffic.headers) extraArgs.push("--header", h);
  if (traffic.throttle !== null) extraArgs.push("--throttle", traffic.throttle);
  const argv = [
    TRAFFIC_GEN_PATH,
    "--target", target,
    "--concurrency", String(traffic.concurrency),
    ...(mode === "count" ? ["--message-count", String(traffic.messageCount)] : []),
    // A body file replaces the generated body (load_body_file); otherwise bytes, never a unit:
    // traffic-gen's own unit parsing is then irrelevant.
    ...(traffic.remoteBodyFile ? ["--body-file", traffic.remoteBodyFile] : ["--body-size", String(traffic.bodySize)]),
    "--duration", String(durationCapSeconds),
    ...extraArgs,
  ];
  return { argv, extraArgs };
}
