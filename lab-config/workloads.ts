/**
 * Workloads: what the lab measures besides the published run. Each workload names traffic-gen's
 * parameters (overriding `traffic:`), the sender policy's options (DKIM, egress TLS, spool,
 * logging) and the sink's behaviour (discard, or KumoMTA's smart-sink example: a share of 4xx/5xx
 * answers and an added latency per recipient domain). `published` is today's parameters.
 *
 * Validated here (zod, strict) and rendered into the policies by scripts/provision/policies.ts;
 * every value that reaches Lua is a number, an enum or a name matching a narrow pattern.
 */
import { z } from "zod";
import { bodySizeSchema, concurrencySchema, egressTlsSchema, messageCountSchema, positiveInt, type EgressTls as EgressTlsMode } from "./schema-parts";
import type { LabConfig } from "./schema";

type TrafficConfig = LabConfig["traffic"];

export const WORKLOAD_NAME = /^[a-z][a-z0-9-]{0,31}$/;
export const workloadNameSchema = z.string().regex(WORKLOAD_NAME, "must be lower-case letters, digits and dashes, starting with a letter (max 32)");
/** A DNS name safe inside a Lua string and a file name. */
export const DOMAIN_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const domainSchema = z.string().regex(DOMAIN_NAME, "must be a lower-case domain name such as example.com");
const pct = z.number().min(0).max(100);

/** traffic-gen's parameters for the workload; anything absent comes from `traffic:`. */
export const workloadTrafficSchema = z
  .object({
    concurrency: concurrencySchema.optional(),
    messageCount: messageCountSchema.optional(),
    /** Body size (traffic-gen `--body-size`); exclusive with bodyFile. */
    bodySize: bodySizeSchema.optional(),
    /** A whole RFC 5322 message on the operator's machine, copied to the sender (`--body-file`). */
    bodyFile: z.string().min(1).optional(),
    domains: z.array(z.object({ name: domainSchema, weight: positiveInt.optional() }).strict()).optional(),
    headers: z.array(z.string().regex(/^[A-Za-z0-9-]+: .*$/, "must look like 'Name: value'")).optional(),
    /** HTTP injection (`--http`) with this many recipients per request (`--http-batch-size`); null = SMTP. */
    http: z.object({ batchSize: positiveInt.max(1000) }).strict().nullable().optional(),
    /** STARTTLS on injection (`--starttls`, SMTP only). */
    starttls: z.boolean().optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.bodySize !== undefined && t.bodyFile !== undefined) ctx.addIssue({ code: "custom", path: ["bodyFile"], message: "set bodySize or bodyFile, not both" });
    if (t.starttls === true && t.http) ctx.addIssue({ code: "custom", path: ["starttls"], message: "--starttls applies to SMTP injection only; remove it or http" });
  });

export const dkimSchema = z
  .object({
    /** rsa2048: kumo.dkim.rsa_sha256_signer with a 2048-bit key; ed25519: kumo.dkim.ed25519_signer. */
    algorithm: z.enum(["rsa2048", "ed25519"]),
    /** One key per signing domain; each message is signed for one of them (kumod's key cache sees them all). */
    domains: z.array(domainSchema).min(1).max(1000),
    selector: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/).default("kumolab"),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (new Set(d.domains).size !== d.domains.length) ctx.addIssue({ code: "custom", path: ["domains"], message: "duplicate signing domain" });
  });
export type DkimSettings = z.infer<typeof dkimSchema>;

export const senderOptionsSchema = z
  .object({
    dkim: dkimSchema.nullable().default(null),
    /** Overrides kumomta.egressTls for this workload. */
    egressTls: egressTlsSchema.optional(),
    /** define_spool for data and meta (crates/kumod/src/spool.rs: kind LocalDisk | RocksDB, flush). */
    spool: z.object({ kind: z.enum(["RocksDB", "LocalDisk"]).default("RocksDB"), flush: z.boolean().default(false) }).strict().default({ kind: "RocksDB", flush: false }),
    /** kumo.configure_local_logs: off, local logs, or local logs that also record the message headers. */
    logging: z.enum(["off", "local", "local-headers"]).default("off"),
    /**
     * Route through our equivalent of KumoMTA's policy helpers (tenant from X-Tenant, egress pool and
     * source, listener domains, shaping; scripts/provision/workload-policy.ts routingLua), still to the
     * sink only. Default false; true in the kumomta-2023-07 profile.
     */
    policyHelpers: z.boolean().default(false),
  })
  .strict();
export type SenderOptions = z.infer<typeof senderOptionsSchema>;

/** One recipient domain's answers at a smart sink (examples/smart-sink-docker/policy/responses.toml). */
export const smartAnswerSchema = z
  .object({
    /** Share (%) of messages answered 4xx (deferred, retried by the sender). */
    deferPct: pct.default(0),
    /** Share (%) of messages answered 5xx (bounced). */
    bouncePct: pct.default(0),
    /** Added response latency before the answer, milliseconds. */
    latencyMs: z.number().int().min(0).max(60_000).default(0),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.deferPct + a.bouncePct > 100) ctx.addIssue({ code: "custom", message: `deferPct + bouncePct is ${a.deferPct + a.bouncePct} %, more than 100 %` });
  });
export type SmartAnswer = z.infer<typeof smartAnswerSchema>;

export const sinkBehaviourSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("discard") }).strict(),
  z
    .object({
      kind: z.literal("smart"),
      default: smartAnswerSchema,
      /** Per recipient domain (the domain traffic-gen addressed, suffix included). */
      domains: z.record(domainSchema, smartAnswerSchema).default({}),
    })
    .strict(),
]);
export type SinkBehaviour = z.infer<typeof sinkBehaviourSchema>;

export const workloadSchema = z
  .object({
    name: workloadNameSchema,
    description: z.string().max(200).optional(),
    traffic: workloadTrafficSchema.default({}),
    sender: senderOptionsSchema.default({ dkim: null, spool: { kind: "RocksDB", flush: false }, logging: "off", policyHelpers: false }),
    sink: sinkBehaviourSchema.default({ kind: "discard" }),
  })
  .strict();
export type Workload = z.infer<typeof workloadSchema>;

export const PUBLISHED_WORKLOAD = "published";

export const workloadsSchema = z
  .object({
    /** The workload every other one is compared with (report: % difference with its CI, per size). */
    baseline: workloadNameSchema,
    list: z.array(workloadSchema).min(1),
  })
  .strict()
  .superRefine((w, ctx) => {
    const names = w.list.map((x) => x.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: "custom", path: ["list", i, "name"], message: `duplicate workload '${n}'` });
    });
    if (!names.includes(w.baseline)) ctx.addIssue({ code: "custom", path: ["baseline"], message: `unknown workload '${w.baseline}'; defined: ${names.join(", ")}` });
  });
export type Workloads = z.infer<typeof workloadsSchema>;

/** The default when a config has no `workloads:`: the published run only. */
export const DEFAULT_WORKLOADS: Workloads = workloadsSchema.parse({ baseline: PUBLISHED_WORKLOAD, list: [{ name: PUBLISHED_WORKLOAD }] });

/** A workload with everything resolved: the traffic in force and the sender's egress TLS. */
export interface ResolvedWorkload {
  name: string;
  description?: string;
  traffic: TrafficConfig & { bodyFile: string | null; http: { batchSize: number } | null; starttls: boolean };
  sender: Omit<SenderOptions, "egressTls"> & { egressTls: EgressTlsMode };
  sink: SinkBehaviour;
}

/** The workload `name` over the lab's `traffic:` and `kumomta.egressTls`; throws naming the defined ones. */
export function resolveWorkload(cfg: Pick<LabConfig, "traffic" | "kumomta" | "workloads">, name: string): ResolvedWorkload {
  const w = cfg.workloads.list.find((x) => x.name === name);
  if (!w) throw new Error(`unknown workload '${name}'; defined: ${cfg.workloads.list.map((x) => x.name).join(", ")} (lab-config/lab.yaml: workloads.list)`);
  const t = w.traffic;
  return {
    name: w.name,
    ...(w.description !== undefined ? { description: w.description } : {}),
    traffic: {
      ...cfg.traffic,
      ...(t.concurrency !== undefined ? { concurrency: t.concurrency } : {}),
      ...(t.messageCount !== undefined ? { messageCount: t.messageCount } : {}),
      ...(t.bodySize !== undefined ? { bodySize: t.bodySize } : {}),
      ...(t.domains !== undefined ? { domains: t.domains } : {}),
      ...(t.headers !== undefined ? { headers: t.headers } : {}),
      bodyFile: t.bodyFile ?? null,
      http: t.http ?? null,
      starttls: t.starttls ?? false,
    },
    sender: { dkim: w.sender.dkim, spool: w.sender.spool, logging: w.sender.logging, policyHelpers: w.sender.policyHelpers, egressTls: w.sender.egressTls ?? cfg.kumomta.egressTls },
    sink: w.sink,
  };
}

/** The workloads named on the command line (`--workloads a,b`), in that order, each once; all defined ones when absent. */
export function selectWorkloads(cfg: Pick<LabConfig, "workloads">, names: string[] | undefined): string[] {
  const defined = cfg.workloads.list.map((w) => w.name);
  if (names === undefined || names.length === 0) return defined;
  const unknown = names.filter((n) => !defined.includes(n));
  if (unknown.length > 0) throw new Error(`unknown workload${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `'${u}'`).join(", ")}; defined: ${defined.join(", ")} (lab-config/lab.yaml: workloads.list)`);
  return names.filter((n, i) => names.indexOf(n) === i);
}
