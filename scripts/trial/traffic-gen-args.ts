/** The traffic-gen command line for a trial, from the lab config. */
import type { LabConfig } from "../../lab-config/schema";

export const TRAFFIC_GEN_PATH = "/opt/kumomta/sbin/traffic-gen";

export interface TrafficGenArgs {
  argv: string[];
  /** The flags beyond the published run's (domains, headers, throttle). */
  extraArgs: string[];
}

export function trafficGenArgs(traffic: LabConfig["traffic"], target: string, durationCapSeconds: number): TrafficGenArgs {
  const extraArgs: string[] = [];
  for (const d of traffic.domains) extraArgs.push("--domain", d.weight === undefined ? d.name : `${d.name}:${d.weight}`);
  for (const h of traffic.headers) extraArgs.push("--header", h);
  if (traffic.throttle !== null) extraArgs.push("--throttle", traffic.throttle);
  const argv = [
    TRAFFIC_GEN_PATH,
    "--target", target,
    "--concurrency", String(traffic.concurrency),
    "--message-count", String(traffic.messageCount),
    // Bytes, never a unit: traffic-gen's own unit parsing is then irrelevant.
    "--body-size", String(traffic.bodySize),
    "--duration", String(durationCapSeconds),
    ...extraArgs,
  ];
  return { argv, extraArgs };
}
