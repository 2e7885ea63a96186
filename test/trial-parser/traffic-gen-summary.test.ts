/**
 * traffic-gen's summary, line by line, on outputs written out here in its format (traffic-gen's
 * main.rs: "sent N messages, failed M over D.", "transaction latency: …", "overall rate: …").
 * Figures by hand: 1,231 msgs/s × 60 = 73,860 msgs/minute, × 3600 = 4,431,600 msgs/hour.
 */
import { describe, expect, it } from "vitest";
import { parseTrafficGenOutput, ProgressLineReader, stderrBlocks, TrafficGenOutputError } from "../../scripts/trial/traffic-gen-output";

const LATENCY = "transaction latency: avg=1.62s min=3.1ms max=9.43s p50=1.41s p75=2.05s p90=2.9s p95=3.6s p99=5.8s p99.9=8.1s";
const progress = (perSec: string, sent: string, clients = "20,000") => `current rate: ${perSec} msgs/s, 70,800 msgs/minute, 4,248,000 msgs/hour (sent=${sent}, clients=${clients})`;

function out(over: { outcome?: string | null; sent?: string | null; latency?: string | null; overall?: string | null; before?: string } = {}): string {
  const lines = [
    over.before ?? progress("1,180", "1,180"),
    over.outcome === undefined ? "All clients finished" : over.outcome,
    over.sent === undefined ? "sent 100,000 messages, failed 0 over 81.206335s." : over.sent,
    over.latency === undefined ? LATENCY : over.latency,
    over.overall === undefined ? "overall rate: 1,231 msgs/s, 73,860 msgs/minute, 4,431,600 msgs/hour" : over.overall,
  ];
  return `${lines.filter((l): l is string => l !== null).join("\n")}\n`;
}

function failure(stdout: string): TrafficGenOutputError {
  try {
    parseTrafficGenOutput(stdout, "");
  } catch (e) {
    if (e instanceof TrafficGenOutputError) return e;
    throw e;
  }
  throw new Error("parsed");
}

describe("the summary lines", () => {
  it("a complete run: rates from sent and elapsed, the printed ones beside them", () => {
    const s = parseTrafficGenOutput(out(), "");
    expect(s.printed).toEqual({ msgsPerSec: 1231, msgsPerMinute: 73_860, msgsPerHour: 4_431_600 });
    expect(s.printedRateMatches).toBe(true);
    expect("printedRateNote" in s).toBe(false);
    expect(s.flags).toEqual([]);
  });

  it("printed per-minute and per-hour figures are checked against the per-second one", () => {
    const minute = parseTrafficGenOutput(out({ overall: "overall rate: 1,231 msgs/s, 73,000 msgs/minute, 4,431,600 msgs/hour" }), "");
    expect(minute.printedRateNote).toBe("printed 73000 msgs/minute ≠ 1231 × 60");
    expect(minute.flags).toEqual(["printed-rate-mismatch"]);
    const hour = parseTrafficGenOutput(out({ overall: "overall rate: 1,231 msgs/s, 73,860 msgs/minute, 4,431,000 msgs/hour" }), "");
    expect(hour.printedRateNote).toBe("printed 4431000 msgs/hour ≠ 1231 × 3600");
    const both = parseTrafficGenOutput(out({ overall: "overall rate: 1,231 msgs/s, 1 msgs/minute, 2 msgs/hour" }), "");
    expect(both.printedRateNote).toBe("printed 1 msgs/minute ≠ 1231 × 60; printed 2 msgs/hour ≠ 1231 × 3600");
  });

  it("deadline or finished: the later line decides", () => {
    expect(parseTrafficGenOutput(out({ outcome: "All clients finished\nDeadline reached, stopping" }), "").outcome).toBe("deadline-reached");
    expect(parseTrafficGenOutput(out({ outcome: "Deadline reached, stopping\nAll clients finished" }), "").outcome).toBe("all-clients-finished");
  });

  it("nothing sent over no time at all: rate 0, no latency needed", () => {
    const s = parseTrafficGenOutput(out({ sent: "sent 0 messages, failed 0 over 0ns.", latency: null, overall: "overall rate: 0 msgs/s, 0 msgs/minute, 0 msgs/hour" }), "");
    expect(s.rate).toEqual({ msgsPerSec: 0, msgsPerHour: 0, mmh: 0 });
    expect(s.latency).toBeNull();
    expect(s.flags).toEqual(["nothing-sent"]);
  });
});

describe("incomplete or impossible output", () => {
  it("names every missing line, and the last progress seen", () => {
    const e = failure(out({ outcome: null, sent: null, overall: null, before: progress("1,229", "3,645") }));
    expect(e.name).toBe("TrafficGenOutputError");
    expect(e.missing).toEqual(["'Deadline reached, stopping' or 'All clients finished'", "the 'sent N messages, failed M over D.' line", "the 'overall rate:' line"]);
    expect(e.message).toBe(
      "traffic-gen output is incomplete (missing 'Deadline reached, stopping' or 'All clients finished'; the 'sent N messages, failed M over D.' line; the 'overall rate:' line); last progress: 1229 msgs/s, sent=3645, clients=20000. " +
        "The run was probably cut short (dropped SSH connection or killed process): check the saved stdout/stderr and rerun the trial.",
    );
  });

  it("each line alone", () => {
    expect(failure(out({ outcome: null })).missing).toEqual(["'Deadline reached, stopping' or 'All clients finished'"]);
    expect(failure(out({ sent: null })).missing).toEqual(["the 'sent N messages, failed M over D.' line"]);
    expect(failure(out({ overall: null })).missing).toEqual(["the 'overall rate:' line"]);
    expect(failure(out({ latency: null })).missing).toEqual(["the 'transaction latency:' line"]);
    expect(failure(out({ before: "", sent: null })).message).toContain("line); no progress line was seen. The run");
  });

  it("messages sent in no time, and counts beyond what a double holds, are refused", () => {
    expect(failure(out({ sent: "sent 5 messages, failed 0 over 0ns." })).missing).toEqual(["a non-zero elapsed time (sent 5 over 0ns)"]);
    expect(failure(out({ sent: "sent 99,999,999,999,999,999 messages, failed 0 over 1s." })).missing).toEqual(["the sent count within range (got 99,999,999,999,999,999)"]);
    expect(failure(out({ sent: "sent 5 messages, failed 99999999999999999 over 1s." })).missing).toEqual(["the failed count within range (got 99999999999999999)"]);
    expect(failure(out({ overall: "overall rate: 99999999999999999 msgs/s, 1 msgs/minute, 1 msgs/hour" })).missing).toEqual(["the overall msgs/s within range (got 99999999999999999)"]);
    expect(failure(out({ overall: "overall rate: 1 msgs/s, 99999999999999999 msgs/minute, 1 msgs/hour" })).missing).toEqual(["the overall msgs/minute within range (got 99999999999999999)"]);
    expect(failure(out({ overall: "overall rate: 1 msgs/s, 60 msgs/minute, 99999999999999999 msgs/hour" })).missing).toEqual(["the overall msgs/hour within range (got 99999999999999999)"]);
    expect(failure(out({ latency: "transaction latency: avg=1.62s min=3.1ms max=9.43s p50=1.41s p75=2.05s p90=2.9s p95=3.6s p99=5.8s p99.9=soon" })).missing).toEqual([
      'a valid duration for latency p99.9 (got "soon")',
    ]);
  });

  it.each([0, 1, 2, 3, 4])("a progress line with field %d out of range is skipped, not read", (i) => {
    const fields = ["1,180", "70,800", "4,248,000", "1,180", "20,000"];
    fields[i] = "99,999,999,999,999,999";
    const line = `current rate: ${fields[0]} msgs/s, ${fields[1]} msgs/minute, ${fields[2]} msgs/hour (sent=${fields[3]}, clients=${fields[4]})`;
    const s = parseTrafficGenOutput(out({ before: line }), "");
    expect([s.progressLines, s.skippedProgressLines, s.lastProgress]).toEqual([0, 1, null]);
  });
});

describe("stderr", () => {
  it("a block after a blank line is one client error; the body-size line and other lines are not", () => {
    const stderr = "Generated body of size 100000\n  plain warning  \n\n   Error: connect failed\n  caused by: refused\n\nGenerated body of size 5\nafter it\n\nError: last";
    expect(stderrBlocks(stderr)).toEqual({
      errors: ["Error: connect failed\n  caused by: refused", "Error: last"],
      other: ["Generated body of size 100000", "plain warning", "Generated body of size 5", "after it"],
    });
  });

  it("only the first 20 lines of each kind are kept, all are counted", () => {
    const other = Array.from({ length: 25 }, (_, i) => `note ${i}`).join("\n");
    const s = parseTrafficGenOutput(out(), other);
    expect(s.stderr.otherLineCount).toBe(25);
    expect(s.stderr.otherLines).toHaveLength(20);
    expect(s.stderr.otherLines[19]).toBe("note 19");
  });
});

describe("ProgressLineReader", () => {
  const line = progress("1,236", "2,416");
  const sample = { msgsPerSec: 1236, msgsPerMinute: 70_800, msgsPerHour: 4_248_000, sent: 2416, clients: 20_000 };

  it("a line split across chunks is read once complete, and only once", () => {
    const r = new ProgressLineReader();
    expect(r.push(line.slice(0, 40))).toEqual([]);
    expect(r.push(line.slice(40))).toEqual([sample]);
    expect(r.push("\n")).toEqual([]);
    expect(r.end()).toEqual([]);
  });

  it("a line rewritten in place, ending in ESC[K, is complete", () => {
    expect(new ProgressLineReader().push(`${line}\x1b[K`)).toEqual([sample]);
  });

  it("text after the line holds it back until a separator or the end", () => {
    const r = new ProgressLineReader();
    expect(r.push(`${line} x`)).toEqual([]);
    expect(r.end()).toEqual([sample]);
    expect(r.end()).toEqual([]);
  });

  it("a long run without separators keeps what it may still need", () => {
    const r = new ProgressLineReader();
    const first = progress("1,180", "1,180");
    expect(r.push(`${first} ${"y".repeat(5000)} ${line.slice(0, 30)}`)).toEqual([]);
    expect(r.push(`${line.slice(30)}\n`)).toHaveLength(2);
  });
});
