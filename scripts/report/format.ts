/** Number formatting shared by the Markdown, CSV and HTML writers. */
export const DASH = "—";

export function fixed(v: number | null, digits: number): string {
  return v === null ? DASH : v.toFixed(digits);
}

export function seconds(v: number | null): string {
  if (v === null) return DASH;
  return v < 1 ? `${(v * 1000).toFixed(v < 0.01 ? 2 : 0)} ms` : `${v.toFixed(2)} s`;
}

export function usd(v: number | null, digits = 2): string {
  return v === null ? DASH : `$${v.toFixed(digits)}`;
}

export function duration(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = Math.round(totalSeconds % 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}
