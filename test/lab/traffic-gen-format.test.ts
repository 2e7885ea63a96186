import { describe, expect, it } from "vitest";
import { humanSizeDecimal, parseSize, parseThrottle, progressLine, rustDuration, rustFixed, summaryLines, thousands } from "../fixtures/traffic-gen/format";
import { LatencyHistogram } from "../fixtures/traffic-gen/histogram";

describe("traffic-gen stand-in output format", () => {
  it("prints durations as Rust's Duration debug format", () => {
    expect(rustDuration(81_206_335_000n)).toBe("81.206335s");
    expect(rustDuration(3_100_000n)).toBe("3.1ms");
    expect(rustDuration(850_000n)).toBe("850µs");
    expect(rustDuration(0n)).toBe("0ns");
    expect(rustDuration(2_000_000_000n)).toBe("2s");
    expect(rustDuration(1_000_000_001n)).toBe("1.000000001s");
    expect(rustDuration(999n)).toBe("999ns");
  });

  it("uses comma thousands separators and truncated integer rates; latencies are HdrHistogram-quantised microseconds", () => {
    expect(thousands(4_442_400)).toBe("4,442,400");
    expect(thousands(999)).toBe("999");
    const h = new LatencyHistogram();
    h.record(3_100n); // µs; 2048–4095 µs buckets are 2 wide, so the even 3100 stays exact
    h.record(9_430_000n);
    const [sent, latency, rate] = summaryLines(100_000, 3, 81_206_335_000n, h);
    expect(sent).toBe("sent 100,000 messages, failed 3 over 81.206335s.");
    expect(latency?.endsWith(" ")).toBe(true);
    // max = highest equivalent of 9,430,000 µs in a 3-significant-digit histogram (bucket width 8192)
    expect(latency).toContain("min=3.1ms max=9.437183s");
    // floor(100000 / 81.206335) = 1231
    expect(rate).toBe("overall rate: 1,231 msgs/s, 73,860 msgs/minute, 4,431,600 msgs/hour");
  });

  it("a claim counter that went down wraps the usize rate (release build), as the real progress line does", () => {
    // 2^64 − 20 as f64 is 2^64; ÷ 1.000 s saturates to usize::MAX (2^64 − 1); × 60 wraps to 2^64 − 60, × 60 again to 2^64 − 3600.
    const line = progressLine(980, 1000, 1_000_000_000n, 20n);
    expect(line).toBe("\r\x1b[Kcurrent rate: 18,446,744,073,709,551,615 msgs/s, 18,446,744,073,709,551,556 msgs/minute, 18,446,744,073,709,548,016 msgs/hour (sent=980, clients=20)");
  });

  it("parses the size and throttle syntaxes as humanize-rs and ThrottleSpec do", () => {
    expect(parseSize("100000")).toBe(100_000);
    expect(parseSize("100kb")).toBe(100_000);
    expect(parseSize("100KiB")).toBe(102_400);
    expect(() => parseSize("1.5kb")).toThrow("invalid value");
    expect(() => parseSize("lots")).toThrow("missing value");
    expect(parseThrottle("120/min")).toEqual({ limit: 120, periodSeconds: 60, maxBurst: undefined });
    expect(parseThrottle("local:1_000/5m,max_burst=10")).toEqual({ limit: 1000, periodSeconds: 300, maxBurst: 10 });
    expect(() => parseThrottle("100")).toThrow("expected 'limit/period', got 100");
  });

  it("formats body sizes as humansize DECIMAL, with Rust's round-half-even", () => {
    expect(humanSizeDecimal(1027)).toBe("1.03 kB");
    expect(humanSizeDecimal(1000)).toBe("1 kB");
    expect(humanSizeDecimal(999)).toBe("999 B");
    expect(humanSizeDecimal(1125)).toBe("1.12 kB");
    expect(humanSizeDecimal(100_004)).toBe("100.00 kB");
    expect(rustFixed(0.125, 2)).toBe("0.12");
    expect(rustFixed(2.5, 0)).toBe("2");
  });
});
