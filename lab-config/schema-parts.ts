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
    if (parsed > MAX_BODY_BYTES) {
      ctx.addIssue({ code: "custom", message: `is ${parsed.toLocaleString("en-US")} bytes: kumod refuses messages over max_message_size (${KUMOD_MAX_MESSAGE_SIZE.toLocaleString("en-US")} bytes by default), so every send would fail; at most ${MAX_BODY_BYTES.toLocaleString("en-US")} bytes (20mb)` });
      return z.NEVER;
    }
    return parsed;
  });

/**
 * kumod's default `max_message_size` for an ESMTP listener (crates/kumod/src/smtp_server.rs,
 * EsmtpListenerParams: 20 MiB): larger messages are refused at DATA.
 */
export const KUMOD_MAX_MESSAGE_SIZE = 20_971_520;
/** The largest body the lab accepts: under max_message_size with room for the headers traffic-gen adds. */
export const MAX_BODY_BYTES = 20_000_000;
/**
 * The most concurrent traffic-gen connections: kumod's default `max_connections` per listener
 * (smtp_server.rs: 32768); over it connections are denied with 421, which would measure the limit, not the sender.
 */
export const MAX_CONCURRENCY = 32_768;
/** Most messages per trial: 10 million is two hours at the published 5 MMH; more samples come from trials.count. */
export const MAX_MESSAGES_PER_TRIAL = 10_000_000;

/** traffic-gen's `--concurrency`, bounded by what the sender's kumod accepts. */
export const concurrencySchema = positiveInt.max(MAX_CONCURRENCY, {
  message: `must be at most ${MAX_CONCURRENCY.toLocaleString("en-US")}: kumod's default max_connections per listener; above it connections are refused and the trial would measure that limit`,
});
/** traffic-gen's `--message-count` for one trial. */
export const messageCountSchema = positiveInt.max(MAX_MESSAGES_PER_TRIAL, {
  message: `must be at most ${MAX_MESSAGES_PER_TRIAL.toLocaleString("en-US")} per trial (two hours at the published 5 MMH); run more trials (trials.count) for more samples`,
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
