/**
 * Progress for people: one plain line per event (no cursor tricks), so it reads the same in a
 * terminal, a CI log or a file. `[host] step … ✓ 1.2 s (changed)` / `✗ 0.3 s: reason`.
 */
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
      return `sweep ${e.sizeId} trial ${e.trial}/${e.trials} — ${e.done}/${e.total} done${e.etaSeconds === undefined ? "" : `, ETA ${Math.round(e.etaSeconds / 60)} min`}`;
  }
}

/** A ProgressSink that writes plain lines to `out` (stdout by default). */
export function terminalProgress(out: LineWriter = process.stdout): ProgressSink {
  let lastRateAt = 0;
  return (e) => {
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
