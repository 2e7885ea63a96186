/**
 * A provisioning step on one host: reports start, then done with changed/unchanged (or fail), via
 * the ProgressSink. Like progress/events.ts step(), but every provisioning step says whether it
 * changed anything, which is what makes idempotence visible.
 */
import type { ProgressSink } from "../progress/events";

export interface StepOutcome<T = undefined> {
  changed: boolean;
  detail?: string;
  value: T;
}

export async function hostStep<T>(progress: ProgressSink, host: string, name: string, changes: Record<string, boolean>, fn: () => Promise<StepOutcome<T>>): Promise<T> {
  const started = Date.now();
  progress({ type: "step-start", host, step: name, brief: true });
  try {
    const r = await fn();
    changes[name] = r.changed;
    progress({ type: "step-done", host, step: name, ms: Date.now() - started, changed: r.changed, ...(r.detail === undefined ? {} : { detail: r.detail }) });
    return r.value;
  } catch (e) {
    progress({ type: "step-fail", host, step: name, ms: Date.now() - started, error: (e as Error).message });
    throw e;
  }
}
