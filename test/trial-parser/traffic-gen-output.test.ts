import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseTrafficGenOutput, ProgressLineReader, progressLines, TrafficGenOutputError, KEPT_STDERR_LINES } from "../../scripts/trial/traffic-gen-output";

const DIR = join(__dirname, "../fixtures/traffic-gen-outputs");
function corpus(name: string): { stdout: string; stderr: string } {
  const err = join(DIR, `${name}.stderr`);
  return { stdout: readFileSync(join(DIR, `${name}.stdout`), "utf8"), stderr: existsSync(err) ? readFileSync(err, "utf8") : "" };
}
function parse(name: string) {
  const { stdout, stderr } = corpus(name);
  return parseTrafficGenOutput(stdout, stderr);
}
function parseError(name: string): TrafficGenOutputError {
  const { stdout, stderr } = corpus(name);
  try {
    parseTrafficGenOutput(stdout, stderr);
  } catch (e) {
    expect(e).toBeInstanceOf(TrafficGenOutputError);
    return e as TrafficGenOutputError;
  }
  throw new Error(`${name} parsed, but it is cut short`);
}

describe("parseTrafficGenOutput — complete runs", () => {
  it("reads the reference-shaped run: figures, latency in seconds, computed and printed rates", () => {
    const s = parse("finished");
    expect(s.outcome).toBe("all-clients-finished");
    expect(s.sent).toBe(100_000);
    expect(s.failed).toBe(0);
    expect(s.elapsed).toEqual({ text: "81.206335s", seconds: 81.206335, nanos: 81_206_335_000 });
    expect(s.latency).toEqual({ avg: 1.62, min: 0.0031, max: 9.43, p50: 1.41, p75: 2.05, p90: 2.9, p95: 3.6, p99: 5.8, "p99.9": 8.1 });
    expect(s.rate.msgsPerSec).toBe(100_000 / 81.206335);
    expect(s.rate.msgsPerSec).toBeCloseTo(1231.4310, 4);
    expect(s.rate.msgsPerHour).toBe((100_000 * 3600) / 81.206335);
    expect(s.rate.mmh).toBeCloseTo(4.43315, 5);
    expect(s.printed).toEqual({ msgsPerSec: 1231, msgsPerMinute: 73_860, msgsPerHour: 4_431_600 });
    expect(s.printedRateMatches).toBe(true);
    expect(s.progressLines).toBe(3);
    expect(s.lastProgress).toEqual({ msgsPerSec: 1229, msgsPerMinute: 73_740, msgsPerHour: 4_424_400, sent: 3645, clients: 20_000 });
    expect(s.flags).toEqual([]);
  });

  it("deadline hit with big numbers and µs / ns / many-decimal durations", () => {
    const s = parse("deadline-big");
    expect(s.outcome).toBe("deadline-reached");
    expect(s.flags).toContain("deadline-reached");
    expect(s.sent).toBe(12_345_678);
    expect(s.elapsed.seconds).toBe(3600.000123456);
    expect(s.elapsed.nanos).toBe(3_600_000_123_456);
    expect(s.latency?.avg).toBe(0.0004125);
    expect(s.latency?.min).toBe(8.5e-7);
    expect(s.latency?.max).toBe(1.000000001);
    expect(s.latency?.p50).toBe(0.00039);
    expect(s.latency?.p75).toBe(0.0005);
    expect(s.latency?.p90).toBe(0.001);
    expect(s.latency?.p99).toBe(0.017123456);
    expect(s.latencyText?.["p99"]).toBe("17.123456ms");
    expect(s.rate.msgsPerSec).toBe(12_345_678 / 3600.000123456);
    expect(s.printed.msgsPerHour).toBe(12_344_400);
    expect(s.printedRateMatches).toBe(true);
  });

  it("failures: counts failed sends and client errors on stderr (each after a blank line), keeps the first 20, separates other lines", () => {
    const s = parse("failures");
    expect(s.sent).toBe(99_000);
    expect(s.failed).toBe(1_000);
    expect(s.elapsed.seconds).toBe(100);
    expect(s.latency?.min).toBe(0);
    expect(s.rate.msgsPerSec).toBe(990);
    expect(s.rate.mmh).toBeCloseTo(3.564, 10);
    expect(s.stderr.clientErrorCount).toBe(25);
    expect(s.stderr.clientErrors).toHaveLength(KEPT_STDERR_LINES);
    expect(s.stderr.clientErrors[0]).toMatch(/^failed to connect to 127\.0\.0\.1:2025/);
    expect(s.stderr.clientErrors[0]).toBe("failed to connect to 127.0.0.1:2025: Connection refused (os error 111)");
    // traffic-gen's start-up line is information, not an error.
    expect(s.stderr.otherLineCount).toBe(2);
    expect(s.stderr.otherLines).toEqual(["note: stray diagnostic line", "Generated body of size 100 kB"]);
    expect(s.flags).toEqual(["send-failures", "client-errors"]);
  });

  it("nothing sent parses with rate 0 and is flagged (without a latency line)", () => {
    const s = parse("nothing-sent");
    expect(s.sent).toBe(0);
    expect(s.failed).toBe(20_000);
    expect(s.rate).toEqual({ msgsPerSec: 0, msgsPerHour: 0, mmh: 0 });
    expect(s.latency).toBeNull();
    expect(s.printedRateMatches).toBe(true);
    expect(s.flags).toEqual(["send-failures", "nothing-sent", "client-errors"]);
  });

  it("nothing sent with an all-zero latency line (0ns)", () => {
    const s = parse("nothing-sent-zero-latency");
    expect(s.outcome).toBe("deadline-reached");
    expect(s.latency?.["p99.9"]).toBe(0);
    expect(s.elapsed.seconds).toBe(60.000412);
    expect(s.flags).toEqual(["deadline-reached", "nothing-sent"]);
  });

  it("CRLF line ends, the Greek mu (U+03BC) and integer durations", () => {
    const s = parse("crlf-greek-mu");
    expect(s.sent).toBe(1000);
    expect(s.elapsed).toEqual({ text: "2s", seconds: 2, nanos: 2e9 });
    expect(s.latency?.avg).toBe(0.000999);
    expect(s.latency?.min).toBe(0.000001);
    expect(s.latency?.max).toBe(2);
    expect(s.rate.msgsPerSec).toBe(500);
    expect(s.rate.mmh).toBe(1.8);
    expect(s.stderr.clientErrors).toEqual(["timed out connecting to 127.0.0.1:2025"]);
    expect(s.lastProgress?.sent).toBe(500);
  });

  it("a progress line glued to the outcome line (no newline between them)", () => {
    const s = parse("glued-progress");
    expect(s.outcome).toBe("deadline-reached");
    expect(s.progressLines).toBe(2);
    expect(s.lastProgress?.msgsPerSec).toBe(2100);
    expect(s.rate.msgsPerSec).toBe(2000);
    expect(s.latency?.p99).toBe(0.05);
  });

  it("a printed rate that disagrees with floor(sent / elapsed) is flagged, not thrown; the computed rate wins", () => {
    const s = parse("printed-mismatch");
    expect(s.rate.msgsPerSec).toBe(10_000 / 3.333333);
    expect(s.printed.msgsPerSec).toBe(2997);
    expect(s.printedRateMatches).toBe(false);
    expect(s.printedRateNote).toMatch(/printed 2997 msgs\/s but floor\(10000 \/ 3\.333333 s\) = 3000/);
    expect(s.flags).toContain("printed-rate-mismatch");
  });

  it("a printed rate one below the exact floor is traffic-gen's f64 truncation, not a mismatch", () => {
    // 10000 / 3.333333 s = 3000.0003: exact floor 3000; `(sent as f64 / secs) as usize` may print 2999.
    const { stdout } = corpus("printed-mismatch");
    const s = parseTrafficGenOutput(stdout.replace("overall rate: 2,997 msgs/s, 179,820 msgs/minute, 10,789,200 msgs/hour", "overall rate: 2,999 msgs/s, 179,940 msgs/minute, 10,796,400 msgs/hour"), "");
    expect(s.printedRateMatches).toBe(true);
    expect(s.flags).not.toContain("printed-rate-mismatch");
  });

  it("a progress line whose rate wrapped (claims given back) is skipped and counted, never thrown", () => {
    // crates/traffic-gen/src/main.rs: `total_sent - last_sent` in usize wraps when a failed client
    // gives its claim back; the line then shows 18,446,744,073,709,551,615 msgs/s.
    const s = parse("wrapped-progress");
    expect(s.progressLines).toBe(2);
    expect(s.skippedProgressLines).toBe(1);
    expect(s.lastProgress).toEqual({ msgsPerSec: 153, msgsPerMinute: 9180, msgsPerHour: 550_800, sent: 2000, clients: 17 });
    expect(s.sent).toBe(2000);
    const { stdout } = corpus("wrapped-progress");
    expect(progressLines(stdout).map((p) => p.sent)).toEqual([1850, 2000]);
    const r = new ProgressLineReader();
    const got: number[] = [];
    for (let i = 0; i < stdout.length; i += 17) got.push(...r.push(stdout.slice(i, i + 17)).map((p) => p.sent));
    expect(got).toEqual([1850, 2000]);
  });

  it("a pretty-printed banner error spanning many lines is one client error per block", () => {
    // eprintln!("\n{err:#}") with `unexpected banner: {banner:#?}` (crates/traffic-gen/src/main.rs).
    const { stdout } = corpus("finished");
    const stderr = readFileSync(join(DIR, "banner-errors.stderr"), "utf8");
    const s = parseTrafficGenOutput(stdout, stderr);
    expect(s.stderr.clientErrorCount).toBe(3);
    expect(s.stderr.clientErrors[0]?.split("\n")).toHaveLength(12);
    expect(s.stderr.clientErrors[0]).toMatch(/^unexpected banner: Response \{\n {4}code: 421,/);
    expect(s.stderr.otherLines).toEqual(["Generated body of size 102.4 kB"]);
    expect(s.flags).toContain("client-errors");
  });
});

describe("parseTrafficGenOutput — output cut short is an error, never a zero rate", () => {
  it("only progress lines (connection dropped mid-run): names what is missing and the last progress", () => {
    const e = parseError("cut-progress-only");
    expect(e.missing).toHaveLength(3);
    expect(e.missing.join(" | ")).toMatch(/Deadline reached.*All clients finished.*sent N messages.*overall rate/);
    expect(e.lastProgress).toEqual({ msgsPerSec: 1229, msgsPerMinute: 73_740, msgsPerHour: 4_424_400, sent: 3645, clients: 20_000 });
    expect(e.message).toMatch(/last progress: 1229 msgs\/s, sent=3645/);
    expect(e.message).toMatch(/rerun/);
  });

  it("cut inside the latency line", () => {
    const e = parseError("cut-after-outcome");
    expect(e.missing).toEqual(["the 'overall rate:' line"]);
    expect(e.lastProgress?.sent).toBe(100_000);
  });

  it("cut inside the sent line", () => {
    const e = parseError("cut-mid-sent-line");
    expect(e.missing).toEqual(["the 'sent N messages, failed M over D.' line", "the 'overall rate:' line"]);
  });

  it("overall rate line missing", () => {
    expect(parseError("cut-no-overall").missing).toEqual(["the 'overall rate:' line"]);
  });

  it("latency line missing percentiles", () => {
    expect(parseError("cut-truncated-latency").missing).toEqual(["latency value p95= in the 'transaction latency:' line"]);
  });

  it("outcome line missing", () => {
    expect(parseError("cut-no-outcome").missing).toEqual(["'Deadline reached, stopping' or 'All clients finished'"]);
  });

  it("empty output", () => {
    const e = parseError("empty");
    expect(e.lastProgress).toBeNull();
    expect(e.message).toMatch(/no progress line was seen/);
  });

  it("a summary with sent > 0 but no latency line is incomplete", () => {
    const { stdout } = corpus("finished");
    const noLatency = stdout.replace(/transaction latency:.*\n/, "");
    expect(() => parseTrafficGenOutput(noLatency, "")).toThrow(TrafficGenOutputError);
  });
});

describe("live progress", () => {
  const { stdout } = corpus("finished");

  it("progressLines reads every progress line of a chunk", () => {
    expect(progressLines(stdout).map((p) => p.sent)).toEqual([1180, 2416, 3645]);
  });

  it("ProgressLineReader emits each line once, whatever the chunking (even inside ESC[K and numbers)", () => {
    for (const size of [1, 2, 3, 7, 50, 1000]) {
      const r = new ProgressLineReader();
      const got: number[] = [];
      for (let i = 0; i < stdout.length; i += size) got.push(...r.push(stdout.slice(i, i + size)).map((p) => p.sent));
      got.push(...r.end().map((p) => p.sent));
      expect(got, `chunk size ${size}`).toEqual([1180, 2416, 3645]);
    }
  });

  it("emits a progress line as soon as it is complete, before the next \\r arrives", () => {
    const r = new ProgressLineReader();
    expect(r.push("\r\x1b[Kcurrent rate: 1,234 msgs/s, 74,040 msgs/minute, 4,442,400 msgs/hour (sent=12,3")).toEqual([]);
    expect(r.push("45, clients=20,000)")).toEqual([{ msgsPerSec: 1234, msgsPerMinute: 74_040, msgsPerHour: 4_442_400, sent: 12_345, clients: 20_000 }]);
    expect(r.push("\r\x1b[K")).toEqual([]);
  });
});
