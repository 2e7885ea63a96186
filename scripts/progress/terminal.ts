/**
 * Progress for people: one plain line per event (no cursor tricks), so it reads the same in a
 * terminal, a CI log or a file. `[host] step … ✓ 1.2 s (changed)` / `✗ 0.3 s: reason`.
 */
import { SingleBar } from "cli-progress";
import type { ProgressEvent, ProgressSink } from "./events";

export interface LineWriter {
  write(chunk: string): unknown;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function who(host: string | undefined): string {
  return host ? `[${host}] ` : "";
}

/** An ETA people read at a glance: `45 s`, `12 min`, `1 h 05 min` — never `0 min` or `NaN`. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "unknown";
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const min = Math.round(seconds / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}

/** Formats one event as a line (without newline), or undefined for events not shown. */
export function formatProgressEvent(e: ProgressEvent): string | undefined {
  switch (e.type) {
    case "step-start":
      return `${who(e.host)}${e.step} …${e.detail ? ` ${e.detail}` : ""}`;
    case "step-done": {
      const change = e.changed === undefined ? "" : e.changed ? " (changed)" : " (unchanged)";
      return `${who(e.host)}${e.step} ✓ ${seconds(e.ms)}${change}${e.detail ? ` — ${e.detail}` : ""}`;
    }
    case "step-fail":
      return `${who(e.host)}${e.step} ✗ ${seconds(e.ms)}: ${e.error}`;
    case "log":
      return `${who(e.host)}${e.level === "warn" ? "warning: " : ""}${e.message}`;
    case "rate":
      return `rate ${e.msgsPerSec.toLocaleString("en-US")} msgs/s (sent ${e.sent.toLocaleString("en-US")})`;
    case "sweep":
      return `sweep ${e.sizeId}${e.workload === undefined ? "" : ` × ${e.workload}`} trial ${e.trial}/${e.trials} — ${e.done}/${e.total} done${e.etaSeconds === undefined ? ", ETA after the first trial" : `, ETA ${e.etaFromPlan ? "~" : ""}${formatEta(e.etaSeconds)}${e.etaFromPlan ? " (planned)" : ""}`}`;
  }
}

/**
 * On a terminal, traffic-gen's live rate is a progress bar (cli-progress) that the next line
 * replaces; elsewhere a plain rate line every 10 s.
 */
function liveRate(stream: NodeJS.WriteStream): { update: (e: Extract<ProgressEvent, { type: "rate" }>) => void; stop: () => void } {
  let bar: SingleBar | undefined;
  return {
    update: (e) => {
      if (!bar) {
        bar = new SingleBar({
          stream,
          format: "traffic-gen |{bar}| {value}/{total} msgs | {rate} msgs/s | ETA {eta_formatted}",
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 5,
        });
        bar.start(e.total ?? Math.max(e.sent, 1), e.sent, { rate: e.msgsPerSec.toLocaleString("en-US") });
      }
      if (e.total === undefined) bar.setTotal(Math.max(e.sent, 1));
      bar.update(e.sent, { rate: e.msgsPerSec.toLocaleString("en-US") });
    },
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** How long a brief step may run before its start gets a line of its own (so a hang still shows). */
export const BRIEF_STEP_SHOWN_AFTER_MS = 2000;

/**
 * A ProgressSink that writes plain lines to `out` (stdout by default). A brief step (each
 * provisioning step) gets one line when it ends — `[host] step ✓ 84 ms (unchanged)` — and a start
 * line only if it is still running after BRIEF_STEP_SHOWN_AFTER_MS: two hosts' provisioning reads as
 * a short list per host, and a step that hangs still says which it is.
 */
export function terminalProgress(out: LineWriter = process.stdout): ProgressSink {
  const tty = out === process.stdout && process.stdout.isTTY ? liveRate(process.stdout) : undefined;
  let lastRateAt = 0;
  const held = new Map<string, ReturnType<typeof setTimeout>>();
  const heldKey = (host: string | undefined, step: string): string => `${host ?? ""}\u0000${step}`;
  return (e) => {
    if (tty) {
      if (e.type === "rate") return tty.update(e);
      tty.stop();
    }
    if (e.type === "step-start" && e.brief) {
      const line = formatProgressEvent(e);
      const k = heldKey(e.host, e.step);
      const timer = setTimeout(() => {
        held.delete(k);
        out.write(`${line} (still running)\n`);
      }, BRIEF_STEP_SHOWN_AFTER_MS);
      timer.unref?.();
      held.set(k, timer);
      return;
    }
    if (e.type === "step-done" || e.type === "step-fail") {
      const k = heldKey(e.host, e.step);
      const timer = held.get(k);
      if (timer !== undefined) {
        clearTimeout(timer);
        held.delete(k);
      }
    }
    // traffic-gen reports about once a second; a line every 10 s is enough in a log.
    if (e.type === "rate") {
      const now = Date.now();
      if (now - lastRateAt < 10_000) return;
      lastRateAt = now;
    }
    const line = formatProgressEvent(e);
    if (line !== undefined) out.write(`${line}\n`);
  };
}
