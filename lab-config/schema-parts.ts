/** Schema pieces shared by ./schema.ts and ./workloads.ts (kept apart so neither imports the other in a cycle). */
import { z } from "zod";

export const positiveInt = z.number().int().positive();

/** traffic-gen's body size syntax: `100000`, `100kb`, `60kb`, `1mb`. */
export const bodySizeSchema = z
  .union([positiveInt, z.string()])
  .transform((v, ctx) => {
    const parsed = parseBodySize(v);
    if (parsed === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "must be a byte count (100000) or a size with a unit b, kb or mb (100kb, 1mb)",
      });
      return z.NEVER;
    }
    return parsed;
  });

/**
 * Parses traffic-gen's body-size syntax into bytes; undefined when malformed. Units are decimal
 * (kb = 1000 bytes, so `100kb` is the published run's `--body-size 100000`); the lab always passes bytes on.
 */
export function parseBodySize(v: number | string): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v > 0 ? v : undefined;
  const m = /^\s*(\d+)\s*(b|kb|mb)?\s*$/i.exec(v);
  if (!m || !m[1]) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? "b").toLowerCase();
  const bytes = unit === "mb" ? n * 1_000_000 : unit === "kb" ? n * 1000 : n;
  return bytes > 0 ? bytes : undefined;
}

/**
 * Outbound TLS from the sender's kumod to the sink (`enable_tls` of the egress path). A kumod sink
 * always offers STARTTLS with a self-signed certificate, and kumod's default, `Opportunistic`,
 * refuses that certificate without falling back to clear text — every delivery would fail. So the
 * lab offers the two modes that work against a kumod sink: TLS as in production with the
 * certificate accepted (`opportunistic-insecure`), or none (`disabled`).
 */
export const egressTlsSchema = z.enum(["opportunistic-insecure", "disabled"]);
export type EgressTls = z.infer<typeof egressTlsSchema>;
