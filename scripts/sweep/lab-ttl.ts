/**
 * The lab's lifetime against the sweep's plan. Every resource is tagged with expiresAt = creation +
 * lab.ttlHours, and the VMs power themselves off once it has passed (infra/cloud-init.ts,
 * infra/azure-sink.ts): a sweep that outlives its lab's TTL would lose its hosts mid-run. So a plan
 * that runs past the TTL raises it before anything starts — and says so; it is never raised silently.
 */

/** The schema's ceiling for lab.ttlHours (lab-config/schema.ts). */
export const MAX_TTL_HOURS = 168;
/** Head-room over the plan's estimate: estimates are estimates, and a resume may follow an interrupt. */
export const TTL_MARGIN = 1.5;

export type TtlDecision = { extend: false } | { extend: true; fromHours: number; toHours: number; why: string } | { extend: false; tooLong: string };

/** Whether `ttlHours` covers a plan of `wallSeconds`, and if not the TTL to set (whole hours, with the margin). */
export function ttlForPlan(wallSeconds: number, ttlHours: number): TtlDecision {
  const needed = Math.ceil((wallSeconds * TTL_MARGIN) / 3600);
  if (needed <= ttlHours) return { extend: false };
  const planned = `${(wallSeconds / 3600).toFixed(1)} h`;
  if (needed > MAX_TTL_HOURS) {
    return { extend: false, tooLong: `the plan runs ${planned}, beyond the longest lab lifetime (lab.ttlHours ≤ ${MAX_TTL_HOURS}): sweep fewer sizes or trials at a time (--sizes, --trials) and resume` };
  }
  return {
    extend: true,
    fromHours: ttlHours,
    toHours: needed,
    why: `the plan runs ${planned} and the lab expires after lab.ttlHours = ${ttlHours} h (its VMs power themselves off then): lab.ttlHours is raised to ${needed} h for this lab (×${TTL_MARGIN} the estimate) before anything is created`,
  };
}
