/**
 * Parser for KumoMTA traffic-gen's stdout/stderr — the traffic-gen output contract. Source:
 * KumoCorp/kumomta crates/traffic-gen/src/main.rs (see ../shared/reference/kumomta-contract.md §6).
 *
 * The rate is computed here from `sent` and the elapsed time at full precision; the printed rates
 * (truncated integers) are kept beside it and cross-checked. Output cut short (a dropped SSH
 * connection, a killed process) is an error, never a zero rate.
 *
 * What the real tool does that a parser must survive (main.rs):
 * - the per-second rate is `total_sent - last_sent` in usize: a failed client gives its claimed
 *   message back (`release_one`), the counter goes down, the subtraction wraps, and the line shows
 *   ~1.8×10¹⁹ msgs/s (the f64→usize cast saturates, ×60 and ×3600 wrap). Such a line is skipped
 *   and counted, never thrown on: it arrives inside an SSH data handler.
 * - a failing client prints `eprintln!("\n{err:#}")`: a blank line, then its error, which may span
 *   lines (`unexpected banner: Response {` … `}` pretty-printed). One error = one block.
 * - `Generated body of size 1.03 kB` on stderr at start is information, not an error.
 * - printed rates are `(sent as f64 / secs) as usize`: f64 rounding may put them 1 off the exact floor.
 */
import { z } from "zod";
import { parseRustDuration, RUST_DURATION_PATTERN, RustDurationError } from "./rust-duration";

/** How many stderr lines of each kind the summary keeps verbatim. */
export const KEPT_STDERR_LINES = 20;

const count = z.number().int().nonnegative();
const seconds = z.number().finite().nonnegative();

/** Progress lines whose numbers cannot be real (see above) are skipped; this many may arrive per second at most. */
export const progressSampleSchema = z
  .object({ msgsPerSec: count, msgsPerMinute: count, msgsPerHour: count, sent: count, clients: count })
  .strict();
export type ProgressSample = z.infer<typeof progressSampleSchema>;

export const LATENCY_KEYS = ["avg", "min", "max", "p50", "p75", "p90", "p95", "p99", "p99.9"] as const;
export type LatencyKey = (typeof LATENCY_KEYS)[number];

export const latencySecondsSchema = z
  .object({ avg: seconds, min: seconds, max: seconds, p50: seconds, p75: seconds, p90: seconds, p95: seconds, p99: seconds, "p99.9": seconds })
  .strict();

export const trafficGenFlagSchema = z.enum(["deadline-reached", "send-failures", "nothing-sent", "printed-rate-mismatch", "client-errors"]);
export type TrafficGenFlag = z.infer<typeof trafficGenFlagSchema>;

export const trafficGenSummarySchema = z
  .object({
    outcome: z.enum(["all-clients-finished", "deadline-reached"]),
    sent: count,
    failed: count,
    elapsed: z.object({ text: z.string(), seconds, nanos: seconds }).strict(),
    /** Latency percentiles in seconds; null only when nothing was sent and traffic-gen printed no latency line. */
    latency: latencySecondsSchema.nullable(),
    /** The latency values as printed (Rust Duration text), for audit. */
    latencyText: z.record(z.string(), z.string()).nullable(),
    /** Computed from sent ÷ elapsed at full precision. */
    rate: z.object({ msgsPerSec: seconds, msgsPerHour: seconds, mmh: seconds }).strict(),
    /** The `overall rate:` line as printed (truncated integers). */
    printed: z.object({ msgsPerSec: count, msgsPerMinute: count, msgsPerHour: count }).strict(),
    /** printed msgs/s == floor(computed), and minute/hour == that × 60 / × 3600. */
    printedRateMatches: z.boolean(),
    printedRateNote: z.string().optional(),
    progressLines: count,
    /** Progress lines skipped because a number was out of range (the per-second rate wrapped). */
    skippedProgressLines: count.default(0),
    lastProgress: progressSampleSchema.nullable(),
    stderr: z
      .object({
        /** Client errors: blocks after a blank line, continuation lines included. */
        clientErrorCount: count,
        /** The first of them, each block's lines joined with `\n`. */
        clientErrors: z.array(z.string()).max(KEPT_STDERR_LINES),
        otherLineCount: count,
        otherLines: z.array(z.string()).max(KEPT_STDERR_LINES),
      })
      .strict(),
    flags: z.array(trafficGenFlagSchema),
  })
  .strict();
export type TrafficGenSummary = z.infer<typeof trafficGenSummarySchema>;

/** traffic-gen's output did not hold a complete summary: the trial has no rate. */
export class TrafficGenOutputError extends Error {
  constructor(
    /** What was missing or malformed, e.g. "the 'sent N messages, failed M over D.' line". */
    readonly missing: string[],
    /** The last progress line seen before the output ended, if any. */
    readonly lastProgress: ProgressSample | null,
  ) {
    const last = lastProgress === null ? "no progress line was seen" : `last progress: ${lastProgress.msgsPerSec} msgs/s, sent=${lastProgress.sent}, clients=${lastProgress.clients}`;
    super(
      `traffic-gen output is incomplete (missing ${missing.join("; ")}); ${last}. ` +
        "The run was probably cut short (dropped SSH connection or killed process): check the saved stdout/stderr and rerun the trial.",
    );
    this.name = "TrafficGenOutputError";
  }
}

// ANSI CSI sequences such as ESC[K (erase line), which arrive verbatim over a non-interactive SSH channel.
const ANSI_CSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const NUM = "(\\d{1,3}(?:,\\d{3})+|\\d+)";
const PROGRESS_RE = new RegExp(`current rate: ${NUM} msgs/s, ${NUM} msgs/minute, ${NUM} msgs/hour \\(sent=${NUM}, clients=${NUM}\\)`, "g");
const SENT_RE = new RegExp(`(?:^|[^=\\w])sent ${NUM} messages, failed ${NUM} over ${RUST_DURATION_PATTERN}\\.`);
const LATENCY_RE = /transaction latency:((?:\s+[a-z0-9.]+=\S+)+)/;
const OVERALL_RE = new RegExp(`overall rate: ${NUM} msgs/s, ${NUM} msgs/minute, ${NUM} msgs/hour`);
const DEADLINE = "Deadline reached, stopping";
const FINISHED = "All clients finished";
/** traffic-gen's start-up line on stderr (main.rs: `Generated body of size {}`): not an error. */
const GENERATED_BODY_RE = /^Generated body of size /;

/** A printed integer, or undefined when it is beyond what a double holds exactly (a wrapped usize). */
function countOrUndefined(text: string): number | undefined {
  const n = Number(text.replace(/,/g, ""));
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A number of the summary lines: out of range there is not a wrapped progress rate but a broken run. */
function toCount(text: string, what: string): number {
  const n = countOrUndefined(text);
  if (n === undefined) throw new TrafficGenOutputError([`${what} within range (got ${text})`], null);
  return n;
}

/** Text segments of the output with ANSI sequences removed, split at \r and \n (so CRLF and progress rewrites both work). */
function segments(text: string): string[] {
  return text.replace(ANSI_CSI, "").split(/\r\n|\r|\n/);
}

/** A progress sample, or undefined when a number is out of range (the per-second rate wrapped). */
function progressFrom(m: RegExpExecArray): ProgressSample | undefined {
  const [msgsPerSec, msgsPerMinute, msgsPerHour, sent, clients] = [1, 2, 3, 4, 5].map((i) => countOrUndefined(m[i] ?? ""));
  if (msgsPerSec === undefined || msgsPerMinute === undefined || msgsPerHour === undefined || sent === undefined || clients === undefined) return undefined;
  return { msgsPerSec, msgsPerMinute, msgsPerHour, sent, clients };
}

/** The progress samples in `text`, and how many progress lines were skipped as out of range. */
function allProgress(text: string): { samples: ProgressSample[]; skipped: number } {
  const samples: ProgressSample[] = [];
  let skipped = 0;
  for (const m of text.replace(ANSI_CSI, "").matchAll(PROGRESS_RE)) {
    const p = progressFrom(m as RegExpExecArray);
    if (p) samples.push(p);
    else skipped++;
  }
  return { samples, skipped };
}

/**
 * stderr split into client-error blocks (each begins after a blank line: `eprintln!("\n{err:#}")`)
 * and other lines (the `Generated body` line, anything not after a blank line).
 */
export function stderrBlocks(stderr: string): { errors: string[]; other: string[] } {
  const errors: string[] = [];
  const other: string[] = [];
  let current: string[] | undefined;
  let afterBlank = false;
  for (const raw of segments(stderr)) {
    // Indentation is kept: it is how a pretty-printed error reads.
    const line = raw.trimEnd();
    if (line.trim() === "") {
      if (current) errors.push(current.join("\n"));
      current = undefined;
      afterBlank = true;
      continue;
    }
    if (current) current.push(line);
    else if (afterBlank && !GENERATED_BODY_RE.test(line.trim())) current = [line.trim()];
    else {
      other.push(line.trim());
      afterBlank = false;
    }
  }
  if (current) errors.push(current.join("\n"));
  return { errors, other };
}

/** The last match of `re` in any segment (a later summary wins over an earlier one). */
function lastMatch(segs: readonly string[], re: RegExp): RegExpExecArray | null {
  let found: RegExpExecArray | null = null;
  for (const s of segs) {
    const m = re.exec(s);
    if (m) found = m;
  }
  return found;
}

function parseLatency(body: string): { seconds: Record<LatencyKey, number>; text: Record<string, string> } | string {
  const text: Record<string, string> = {};
  for (const tok of body.trim().split(/\s+/)) {
    const eq = tok.indexOf("=");
    text[tok.slice(0, eq)] = tok.slice(eq + 1);
  }
  const secondsByKey: Partial<Record<LatencyKey, number>> = {};
  for (const key of LATENCY_KEYS) {
    const t = text[key];
    if (t === undefined) return `latency value ${key}= in the 'transaction latency:' line`;
    try {
      secondsByKey[key] = parseRustDuration(t).seconds;
    } catch (e) {
      if (e instanceof RustDurationError) return `a valid duration for latency ${key} (got ${JSON.stringify(t)})`;
      throw e;
    }
  }
  return { seconds: secondsByKey as Record<LatencyKey, number>, text };
}

/**
 * Parses traffic-gen's complete output. Throws TrafficGenOutputError when the summary is missing or
 * malformed. "Nothing sent" parses, with rate 0 and the `nothing-sent` flag.
 */
export function parseTrafficGenOutput(stdout: string, stderr: string): TrafficGenSummary {
  const segs = segments(stdout);
  const { samples: progress, skipped: skippedProgressLines } = allProgress(stdout);
  const lastProgress = progress[progress.length - 1] ?? null;
  const missing: string[] = [];

  const deadlineAt = stdout.lastIndexOf(DEADLINE);
  const finishedAt = stdout.lastIndexOf(FINISHED);
  if (deadlineAt < 0 && finishedAt < 0) missing.push(`'${DEADLINE}' or '${FINISHED}'`);
  const outcome = deadlineAt > finishedAt ? "deadline-reached" : "all-clients-finished";

  const sentM = lastMatch(segs, SENT_RE);
  if (!sentM) missing.push("the 'sent N messages, failed M over D.' line");
  const overallM = lastMatch(segs, OVERALL_RE);
  if (!overallM) missing.push("the 'overall rate:' line");
  const latencyM = lastMatch(segs, LATENCY_RE);

  if (!sentM || !overallM || missing.length > 0) throw new TrafficGenOutputError(missing, lastProgress);

  const sent = toCount(sentM[1] ?? "", "the sent count");
  const failed = toCount(sentM[2] ?? "", "the failed count");
  const elapsed = parseRustDuration(`${sentM[3] ?? ""}${sentM[4] ?? ""}`);

  let latency: TrafficGenSummary["latency"] = null;
  let latencyText: TrafficGenSummary["latencyText"] = null;
  if (latencyM) {
    const parsed = parseLatency(latencyM[1] ?? "");
    if (typeof parsed === "string") throw new TrafficGenOutputError([parsed], lastProgress);
    latency = parsed.seconds;
    latencyText = parsed.text;
  } else if (sent > 0) {
    throw new TrafficGenOutputError(["the 'transaction latency:' line"], lastProgress);
  }

  if (sent > 0 && elapsed.nanos === 0) throw new TrafficGenOutputError([`a non-zero elapsed time (sent ${sent} over ${elapsed.text})`], lastProgress);
  const msgsPerSec = sent === 0 ? 0 : sent / elapsed.seconds;
  const msgsPerHour = sent === 0 ? 0 : (sent * 3600) / elapsed.seconds;

  const printed = {
    msgsPerSec: toCount(overallM[1] ?? "", "the overall msgs/s"),
    msgsPerMinute: toCount(overallM[2] ?? "", "the overall msgs/minute"),
    msgsPerHour: toCount(overallM[3] ?? "", "the overall msgs/hour"),
  };
  // Exact floor(sent / seconds) with integers when the elapsed time is a whole number of nanoseconds.
  const expectedPerSec =
    sent === 0 ? 0 : Number.isInteger(elapsed.nanos) ? Number((BigInt(sent) * 1_000_000_000n) / BigInt(elapsed.nanos)) : Math.floor(msgsPerSec);
  const notes: string[] = [];
  // traffic-gen divides in f64 and truncates: one off the exact floor is its rounding, not a mismatch.
  if (Math.abs(printed.msgsPerSec - expectedPerSec) > 1) notes.push(`printed ${printed.msgsPerSec} msgs/s but floor(${sent} / ${elapsed.seconds} s) = ${expectedPerSec}`);
  if (printed.msgsPerMinute !== printed.msgsPerSec * 60) notes.push(`printed ${printed.msgsPerMinute} msgs/minute ≠ ${printed.msgsPerSec} × 60`);
  if (printed.msgsPerHour !== printed.msgsPerSec * 3600) notes.push(`printed ${printed.msgsPerHour} msgs/hour ≠ ${printed.msgsPerSec} × 3600`);

  const blocks = stderrBlocks(stderr);
  const clientErrorCount = blocks.errors.length;
  const clientErrors = blocks.errors.slice(0, KEPT_STDERR_LINES);
  const otherLineCount = blocks.other.length;
  const otherLines = blocks.other.slice(0, KEPT_STDERR_LINES);

  const flags: TrafficGenFlag[] = [];
  if (outcome === "deadline-reached") flags.push("deadline-reached");
  if (failed > 0) flags.push("send-failures");
  if (sent === 0) flags.push("nothing-sent");
  if (notes.length > 0) flags.push("printed-rate-mismatch");
  if (clientErrorCount > 0) flags.push("client-errors");

  return trafficGenSummarySchema.parse({
    outcome,
    sent,
    failed,
    elapsed: { text: elapsed.text, seconds: elapsed.seconds, nanos: elapsed.nanos },
    latency,
    latencyText,
    rate: { msgsPerSec, msgsPerHour, mmh: msgsPerHour / 1e6 },
    printed,
    printedRateMatches: notes.length === 0,
    ...(notes.length > 0 ? { printedRateNote: notes.join("; ") } : {}),
    progressLines: progress.length,
    skippedProgressLines,
    lastProgress,
    stderr: { clientErrorCount, clientErrors, otherLineCount, otherLines },
    flags,
  });
}

/**
 * Turns stdout chunks (as they arrive over SSH) into progress samples for the live rate display.
 * A progress line is emitted once it is complete: ended by \r or \n, or matching in full
 * (traffic-gen rewrites it in place without a newline). Chunks may split anywhere, even inside ESC[K.
 */
export class ProgressLineReader {
  private buffer = "";

  push(chunk: string): ProgressSample[] {
    this.buffer += chunk;
    // Bound memory if a stream never sends a separator: a progress line is ~150 characters.
    if (this.buffer.length > 65536) this.buffer = this.buffer.slice(-4096);
    const out: ProgressSample[] = [];
    const parts = this.buffer.split(/\r\n|\r|\n/);
    const tail = parts.pop() ?? "";
    for (const p of parts) out.push(...allProgress(p).samples);
    const cleanTail = tail.replace(ANSI_CSI, "");
    const tailProgress = allProgress(tail).samples;
    if (tailProgress.length > 0 && /\)\s*$/.test(cleanTail)) {
      out.push(...tailProgress);
      this.buffer = "";
    } else {
      this.buffer = tail;
    }
    return out;
  }

  /** Whatever complete progress remains when the stream ends. */
  end(): ProgressSample[] {
    const rest = allProgress(this.buffer).samples;
    this.buffer = "";
    return rest;
  }
}

/** One-shot helper: the progress samples in a chunk of stdout that holds complete lines. */
export function progressLines(chunk: string): ProgressSample[] {
  return allProgress(chunk).samples;
}
