import { describe, expect, it } from "vitest";
import { parseRustDuration, RustDurationError } from "../../scripts/trial/rust-duration";

describe("parseRustDuration", () => {
  it.each([
    ["81.206335s", 81.206335, 81_206_335_000],
    ["2s", 2, 2_000_000_000],
    ["3.1ms", 0.0031, 3_100_000],
    ["850\u00b5s", 0.00085, 850_000],
    ["850\u03bcs", 0.00085, 850_000],
    ["1.5\u00b5s", 0.0000015, 1500],
    ["0ns", 0, 0],
    ["999ns", 9.99e-7, 999],
    ["1.000000001s", 1.000000001, 1_000_000_001],
    ["3600.000123456s", 3600.000123456, 3_600_000_123_456],
    ["17.123456ms", 0.017123456, 17_123_456],
  ])("%s", (text, seconds, nanos) => {
    expect(parseRustDuration(text)).toEqual({ text, seconds, nanos });
  });

  it("surrounding whitespace is not part of the duration", () => {
    expect(parseRustDuration(" 2.5ms\n")).toEqual({ text: "2.5ms", seconds: 0.0025, nanos: 2_500_000 });
  });

  it("the error names the text and the expected forms", () => {
    const e = new RustDurationError("3 fortnights");
    expect(e.name).toBe("RustDurationError");
    expect(e.message).toBe('not a Rust Duration (expected e.g. 81.206335s, 3.1ms, 850µs, 0ns): "3 fortnights"');
    expect(e.text).toBe("3 fortnights");
  });

  it.each(["", "5", "1.s", "3m", "2 s", "1.5us", "-1s", "1e3s"])("refuses %j", (text) => {
    expect(() => parseRustDuration(text)).toThrow(RustDurationError);
  });
});
