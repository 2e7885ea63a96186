/**
 * Progress for people: one plain line per event (no cursor tricks), so it reads the same in a
 * terminal, a CI log or a file. `[host] step … ✓ 1.2 s (changed)` / `✗ 0.3 s: reason`.
 */
import { MultiBar, SingleBar } from "cli-progress";
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

/** Formats one event as a line (without newline), or undefined for events not shown; a lab's event starts with `[lab2] `. */
export function formatProgressEvent(e: ProgressEvent): string | undefined {
  const line = formatUnlabelled(e);
  return line === undefined || e.lab === undefined ? line : `[${e.lab}] ${line}`;
}

function formatUnlabelled(e: ProgressEvent): string | undefined {
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

/**
 * A parallel sweep on a terminal: one bar per lab (its size, trial and traffic-gen's live count),
 * every other line printed above the bars. An event without a lab (the sweep's own summary) ends them.
 */
function labBars(stream: NodeJS.WriteStream): { rate: (e: Extract<ProgressEvent, { type: "rate" }>, lab: string) => void; position: (lab: string, what: string) => void; log: (line: string) => void; active: () => boolean; stop: () => void } {
  let multi: MultiBar | undefined;
  const bars = new Map<string, ReturnType<MultiBar["create"]>>();
  const what = new Map<string, string>();
  const barOf = (lab: string) => {
    multi ??= new MultiBar({ stream, format: "{lab} {what} |{bar}| {value}/{total} msgs | {rate} msgs/s", hideCursor: true, clearOnComplete: false, etaBuffer: 5 });
    let bar = bars.get(lab);
    if (!bar) {
      bar = multi.create(1, 0, { lab, what: what.get(lab) ?? "", rate: "0" });
      bars.set(lab, bar);
    }
    return bar;
  };
  return {
    rate: (e, lab) => {
      const bar = barOf(lab);
      bar.setTotal(e.total ?? Math.max(e.sent, 1));
      bar.update(e.sent, { lab, what: what.get(lab) ?? "", rate: e.msgsPerSec.toLocaleString("en-US") });
    },
    position: (lab, text) => {
      what.set(lab, text);
      barOf(lab).update(0, { lab, what: text, rate: "0" });
    },
    log: (line) => (multi ? multi.log(`${line}\n`) : stream.write(`${line}\n`)),
    active: () => multi !== undefined,
    stop: () => {
      // stop() does not write what log() buffered; one last redraw does.
      multi?.update();
      multi?.stop();
      multi = undefined;
      bars.clear();
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
  const multi = out === process.stdout && process.stdout.isTTY ? labBars(process.stdout) : undefined;
  // Per lab: each lab's traffic-gen gets its own line every 10 s.
  const lastRateAt = new Map<string, number>();
  const held = new Map<string, ReturnType<typeof setTimeout>>();
  const heldKey = (lab: string | undefined, host: string | undefined, step: string): string => `${lab ?? ""}\u0000${host ?? ""}\u0000${step}`;
  const write = (line: string): void => {
    if (multi?.active()) multi.log(line);
    else out.write(`${line}\n`);
  };
  return (e) => {
    if (multi && e.lab !== undefined) {
      if (e.type === "rate") return multi.rate(e, e.lab);
      if (e.type === "sweep") multi.position(e.lab, `${e.sizeId}${e.workload === undefined ? "" : ` × ${e.workload}`} trial ${e.trial}/${e.trials}`);
    } else if (multi && multi.active()) multi.stop();
    if (tty && e.lab === undefined) {
      if (e.type === "rate") return tty.update(e);
      tty.stop();
    }
    if (e.type === "step-start" && e.brief) {
      const line = formatProgressEvent(e);
      const k = heldKey(e.lab, e.host, e.step);
      const timer = setTimeout(() => {
        held.delete(k);
        write(`${line} (still running)`);
      }, BRIEF_STEP_SHOWN_AFTER_MS);
      timer.unref?.();
      held.set(k, timer);
      return;
    }
    if (e.type === "step-done" || e.type === "step-fail") {
      const k = heldKey(e.lab, e.host, e.step);
      const timer = held.get(k);
      if (timer !== undefined) {
        clearTimeout(timer);
        held.delete(k);
      }
    }
    // traffic-gen reports about once a second; a line every 10 s is enough in a log.
    if (e.type === "rate") {
      const now = Date.now();
      if (now - (lastRateAt.get(e.lab ?? "") ?? 0) < 10_000) return;
      lastRateAt.set(e.lab ?? "", now);
    }
    const line = formatProgressEvent(e);
    if (line !== undefined) write(line);
  };
}
