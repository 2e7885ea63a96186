/**
 * traffic-gen stops at its `--duration` deadline even when given `--message-count`, so a
 * count-based trial must pass a generous cap, and a run that hits it is incomplete.
 */
import type { LabConfig } from "../../lab-config/schema";

/** The slowest acceptance rate we plan for when deriving the cap (msgs/s); below it the run is reported incomplete. */
export const PESSIMISTIC_RATE = 50;
export const MIN_CAP_SECONDS = 60;

export interface DurationCap {
  seconds: number;
  /** Said in the trial record: where the number came from. */
  reason: string;
}

export function durationCap(traffic: Pick<LabConfig["traffic"], "durationCapSeconds" | "messageCount">): DurationCap {
  if (traffic.durationCapSeconds !== "auto") {
    return { seconds: traffic.durationCapSeconds, reason: `traffic.durationCapSeconds = ${traffic.durationCapSeconds} (set in the lab config)` };
  }
  const seconds = Math.max(MIN_CAP_SECONDS, Math.ceil(traffic.messageCount / PESSIMISTIC_RATE));
  return {
    seconds,
    reason: `auto: ${traffic.messageCount} messages at a pessimistic ${PESSIMISTIC_RATE} msgs/s, at least ${MIN_CAP_SECONDS} s; a run that reaches it is marked incomplete`,
  };
}
