/**
 * Rust's `Duration` Debug format, as traffic-gen prints it: `81.206335s`, `3.1ms`, `850µs`, `0ns`, `2s`.
 * Parsed by shifting the decimal point in the text itself, so no precision is lost to float
 * multiplication before the one final conversion to a number.
 */

/** Unit → power of ten that turns the value into seconds. µ is U+00B5 (what Rust prints); μ (U+03BC) is accepted too. */
const UNIT_EXPONENT: Readonly<Record<string, number>> = { s: 0, ms: -3, "\u00b5s": -6, "\u03bcs": -6, ns: -9 };

/** Matches one duration token; the unit alternation lists `ms`/`ns`/`µs` before `s` so `3ms` is not read as `3m` + `s`. */
export const RUST_DURATION_PATTERN = "(\\d+(?:\\.\\d+)?)(ms|ns|\u00b5s|\u03bcs|s)";

export interface RustDuration {
  /** The text as printed. */
  text: string;
  seconds: number;
  /** Nanoseconds; an integer for every value Rust can print. */
  nanos: number;
}

export class RustDurationError extends Error {
  constructor(readonly text: string) {
    super(`not a Rust Duration (expected e.g. 81.206335s, 3.1ms, 850µs, 0ns): ${JSON.stringify(text)}`);
    this.name = "RustDurationError";
  }
}

/** `digits` with an implied decimal point after `intLen` digits, multiplied by 10^shift, as decimal text. */
function shiftDecimal(intPart: string, fracPart: string, shift: number): string {
  const digits = intPart + fracPart;
  const point = intPart.length + shift;
  if (point <= 0) return `0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + "0".repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

export function parseRustDuration(text: string): RustDuration {
  const m = new RegExp(`^${RUST_DURATION_PATTERN}$`).exec(text.trim());
  if (!m || m[1] === undefined || m[2] === undefined) throw new RustDurationError(text);
  const [intPart, fracPart = ""] = m[1].split(".") as [string, string?];
  const exponent = UNIT_EXPONENT[m[2]];
  if (exponent === undefined) throw new RustDurationError(text);
  return {
    text: text.trim(),
    seconds: Number(shiftDecimal(intPart, fracPart, exponent)),
    nanos: Number(shiftDecimal(intPart, fracPart, exponent + 9)),
  };
}
