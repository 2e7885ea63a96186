import { describe, expect, it } from "vitest";
import { parseSize, parseThrottle, rustDuration, summaryLines, thousands } from "../fixtures/traffic-gen/format";

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

  it("uses comma thousands separators and truncated integer rates", () => {
    expect(thousands(4_442_400)).toBe("4,442,400");
    expect(thousands(999)).toBe("999");
    const [sent, latency, rate] = summaryLines(100_000, 3, 81_206_335_000n, [3_100_000n, 9_430_000_000n]);
    expect(sent).toBe("sent 100,000 messages, failed 3 over 81.206335s.");
    expect(latency?.endsWith(" ")).toBe(true);
    expect(latency).toContain("min=3.1ms max=9.43s");
    // floor(100000 / 81.206335) = 1231
    expect(rate).toBe("overall rate: 1,231 msgs/s, 73,860 msgs/minute, 4,431,600 msgs/hour");
  });

  it("parses the size and throttle syntaxes", () => {
    expect(parseSize("100000")).toBe(100_000);
    expect(parseSize("100kb")).toBe(102_400);
    expect(parseThrottle("120/min")).toBe(2);
    expect(() => parseSize("lots")).toThrow(/invalid size/);
  });
});
