/** A series as a one-line text chart (▁▂▃▄▅▆▇█), scaled from 0 to its maximum: a rate that held reads flat. */
const BARS = "▁▂▃▄▅▆▇█";

export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return "";
  const max = Math.max(...values);
  if (!(max > 0)) return BARS[0]?.repeat(values.length) ?? "";
  return values.map((v) => BARS[Math.min(BARS.length - 1, Math.max(0, Math.round((v / max) * (BARS.length - 1))))] ?? "").join("");
}
