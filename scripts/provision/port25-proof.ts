/**
 * The port-25 proof, run from the sender before any traffic: a TCP connection to the sink on port
 * 25 must FAIL (the sink really listens there) while one to the sink port must SUCCEED. The proof
 * is kept as data for the trial records. If port 25 connects, nothing is sent and the error names
 * the layer that let it through.
 */
import { z } from "zod";
import type { LabHosts } from "../hosts/lab-hosts";
import { LabHostError } from "../ssh/errors";
import type { SshSession } from "../ssh/session";
import { PORT25_TABLE } from "./lab-endpoints";
import { LIST_TABLE_COMMAND, tableIsEffective } from "./port25-firewall";

export const probeOutcomeSchema = z.enum(["connected", "refused", "timed-out", "error"]);

export const port25ProbeSchema = z.object({
  port: z.number().int().min(1).max(65535),
  expect: z.enum(["blocked", "open"]),
  /** The command run on the sender. */
  command: z.string(),
  outcome: probeOutcomeSchema,
  exitCode: z.number().int(),
  /** What the shell said (e.g. `Connection refused`), trimmed. */
  detail: z.string(),
  /** Sender clock, ms since the epoch. */
  startedAtMs: z.number().int().nonnegative(),
  durationMs: z.number().int().nonnegative(),
  ok: z.boolean(),
});
export type Port25Probe = z.infer<typeof port25ProbeSchema>;

const proofFields = {
  /** Operator clock, ISO time the proof finished. */
  at: z.iso.datetime(),
  from: z.string(),
  to: z.string(),
  /** The layers expected to block outbound 25: our table on the probing host, then the cloud firewalls. */
  expectedBlockers: z.array(z.string()),
  /** Our nftables table on the probing host (the sender; for `generator`, the generator). */
  senderTable: z.object({ command: z.string(), present: z.boolean(), effective: z.boolean() }),
  probes: z.array(port25ProbeSchema).length(2),
  passed: z.boolean(),
};
/** The same proof run from the generator host: port 25 to the sink must fail, the sender's generator listener must connect. */
export const generatorProofSchema = z.object(proofFields);
export const port25ProofSchema = z.object({ ...proofFields, generator: generatorProofSchema.optional() });
export type Port25Proof = z.infer<typeof port25ProofSchema>;
export type GeneratorPort25Proof = z.infer<typeof generatorProofSchema>;

export const PROBE_TIMEOUT_SECONDS = 5;

export function probeCommand(ip: string, port: number): string {
  if (!/^[0-9.:a-fA-F]+$/.test(ip)) throw new Error(`not an IP address: ${ip}`);
  return `timeout ${PROBE_TIMEOUT_SECONDS} bash -c 'exec 3<>/dev/tcp/${ip}/${port}'`;
}

function proofScript(probes: { port: number; command: string }[]): string {
  return probes
    .map((p) => `s=$(date +%s%3N); out=$(${p.command} 2>&1); rc=$?; e=$(date +%s%3N); printf 'PROBE %s %s %s %s %s\\n' ${p.port} $rc $s $e "$(printf '%s' "$out" | tr '\\n\\t' '  ' | cut -c1-300)"`)
    .join("\n");
}

function outcomeOf(rc: number, detail: string): z.infer<typeof probeOutcomeSchema> {
  if (rc === 0) return "connected";
  if (rc === 124) return "timed-out";
  if (/refused|reset/i.test(detail)) return "refused";
  if (/timed out|unreachable/i.test(detail)) return "timed-out";
  return "error";
}

type ProbeSpec = { port: number; command: string; expect: "blocked" | "open" };

export function parseProbeLines(stdout: string, specs: ProbeSpec[]): Port25Probe[] {
  return specs.map((spec) => {
    const m = new RegExp(`^PROBE ${spec.port} (\\d+) (\\d+) (\\d+) ?(.*)$`, "m").exec(stdout);
    if (!m || !m[1] || !m[2] || !m[3]) throw new Error(`no result for port ${spec.port} in: ${stdout.slice(0, 300)}`);
    const rc = Number(m[1]);
    const detail = (m[4] ?? "").trim();
    const outcome = outcomeOf(rc, detail);
    return port25ProbeSchema.parse({
      port: spec.port,
      expect: spec.expect,
      command: spec.command,
      outcome,
      exitCode: rc,
      detail,
      startedAtMs: Number(m[2]),
      durationMs: Math.max(0, Number(m[3]) - Number(m[2])),
      ok: spec.expect === "blocked" ? outcome !== "connected" : outcome === "connected",
    });
  });
}

/**
 * The probes from `host` and its own port-25 table, read at once: what both proofs (the sender's,
 * the generator's) record. `role` names the host in the error when the probes do not report.
 */
async function probeAndReadTable(host: SshSession, specs: ProbeSpec[], step: string, role: string): Promise<{ probes: Port25Probe[]; table: Port25Proof["senderTable"] }> {
  const [probeRun, table] = await Promise.all([
    host.exec(proofScript(specs), { step, timeoutMs: (PROBE_TIMEOUT_SECONDS * 2 + 20) * 1000 }),
    host.exec(`${LIST_TABLE_COMMAND} 2>&1`, { sudo: true, step, timeoutMs: 15_000 }),
  ]);
  let probes: Port25Probe[];
  try {
    probes = parseProbeLines(probeRun.stdout, specs);
  } catch (e) {
    throw host.error("exit-status", step, `the probes did not report: ${(e as Error).message}; stderr: ${probeRun.stderr.trim()}`, `check that bash and coreutils \`timeout\` exist on the ${role}`);
  }
  const present = table.code === 0;
  return { probes, table: { command: LIST_TABLE_COMMAND, present, effective: present && tableIsEffective(table.stdout) } };
}

/** Runs the proof; returns it when it passed, throws a LabHostError (kind port25-open / not-ready) otherwise. */
export async function provePort25Closed(sender: SshSession, hosts: LabHosts, step = "port-25 proof"): Promise<Port25Proof> {
  const sink = hosts.sinkAddressFromSender;
  const specs = [
    { port: 25, command: probeCommand(sink, 25), expect: "blocked" as const },
    { port: hosts.sinkPort, command: probeCommand(sink, hosts.sinkPort), expect: "open" as const },
  ];
  const { probes, table } = await probeAndReadTable(sender, specs, step, "sender");
  const proof: Port25Proof = port25ProofSchema.parse({
    at: new Date().toISOString(),
    from: sender.name,
    to: sink,
    expectedBlockers: [`nftables table inet ${PORT25_TABLE} on the sender`, ...hosts.cloudFirewalls],
    senderTable: table,
    probes,
    passed: probes.every((p) => p.ok),
  });
  const [p25, pSink] = probes as [Port25Probe, Port25Probe];
  if (!p25.ok) {
    const ours = !proof.senderTable.present
      ? `the sender's nftables table inet ${PORT25_TABLE} is MISSING (\`sudo ${LIST_TABLE_COMMAND}\` fails)`
      : !proof.senderTable.effective
        ? `the sender's nftables table inet ${PORT25_TABLE} is present but does not hold the reject rule (\`sudo ${LIST_TABLE_COMMAND}\`)`
        : `the sender's nftables table inet ${PORT25_TABLE} is present but did not stop it (another table accepts first, or the traffic leaves another way: check \`sudo nft list ruleset\`)`;
    const clouds = hosts.cloudFirewalls.length > 0 ? `; the ${hosts.cloudFirewalls.join(" and ")} also let it through` : "; no other firewall is declared between the hosts";
    throw new ProofFailedError(
      proof,
      {
        kind: "port25-open",
        host: sender.name,
        step,
        command: p25.command,
        what: `a TCP connection to the sink ${sink} on port 25 SUCCEEDED: ${ours}${clouds}. No traffic will be sent.`,
        hint: "re-run provisioning to re-install the table, and fix the firewall rules so that outbound 25 is blocked; the lab refuses to run trials until this proof passes",
      },
    );
  }
  if (!pSink.ok) {
    throw new ProofFailedError(
      proof,
      {
        kind: "not-ready",
        host: sender.name,
        step,
        command: pSink.command,
        what: `the sink ${sink} is not reachable on its port ${hosts.sinkPort} from the sender (${pSink.outcome}: ${pSink.detail || `exit ${pSink.exitCode}`})`,
        hint: `check that the sink's kumod listens on ${hosts.sinkPort} and that the firewalls between the hosts allow it from the sender's address`,
      },
    );
  }
  return proof;
}

/** A failed proof: the error to show, and the proof itself for the records. */
export class ProofFailedError extends LabHostError {
  constructor(
    readonly proof: Port25Proof,
    opts: ConstructorParameters<typeof LabHostError>[0],
  ) {
    super(opts);
    this.name = "ProofFailedError";
  }
}

/**
 * The proof from the generator host, run once the sender's kumod listens: a TCP connection to the
 * sink on port 25 must FAIL (the generator's own table, then the clouds' firewalls), while one to
 * the sender's generator listener must SUCCEED (the only SMTP the generator may speak). The sink is
 * probed at the address the sender uses: in a cloud lab both reach it by its public address.
 */
export async function provePort25ClosedFromGenerator(generator: SshSession, hosts: LabHosts, listenerPort: number, step = "port-25 proof (generator)"): Promise<GeneratorPort25Proof> {
  const g = hosts.generator;
  if (!g) throw new Error("provePort25ClosedFromGenerator: the lab has no generator host");
  const sink = hosts.sinkAddressFromSender;
  const specs = [
    { port: 25, command: probeCommand(sink, 25), expect: "blocked" as const },
    { port: listenerPort, command: probeCommand(g.senderAddress, listenerPort), expect: "open" as const },
  ];
  const { probes, table } = await probeAndReadTable(generator, specs, step, "generator");
  const proof = generatorProofSchema.parse({
    at: new Date().toISOString(),
    from: generator.name,
    to: sink,
    expectedBlockers: [`nftables table inet ${PORT25_TABLE} on the generator`, ...hosts.cloudFirewalls],
    senderTable: table,
    probes,
    passed: probes.every((p) => p.ok),
  });
  const [p25, pListener] = probes as [Port25Probe, Port25Probe];
  if (!p25.ok) {
    throw new LabHostError({
      kind: "port25-open",
      host: generator.name,
      step,
      command: p25.command,
      what: `a TCP connection from the generator to the sink ${sink} on port 25 SUCCEEDED: the generator's nftables table inet ${PORT25_TABLE} is ${proof.senderTable.present ? (proof.senderTable.effective ? "present but did not stop it" : "present without the reject rule") : "MISSING"}${hosts.cloudFirewalls.length ? `; the ${hosts.cloudFirewalls.join(" and ")} also let it through` : ""}. No traffic will be sent.`,
      hint: "re-run provisioning to re-install the table, and fix the generator's security group so that outbound 25 is blocked; the lab refuses to run trials until this proof passes",
    });
  }
  if (!pListener.ok) {
    throw new LabHostError({
      kind: "not-ready",
      host: generator.name,
      step,
      command: pListener.command,
      what: `the sender's generator listener ${g.senderAddress}:${listenerPort} is not reachable from the generator (${pListener.outcome}: ${pListener.detail || `exit ${pListener.exitCode}`})`,
      hint: `check that the sender's kumod listens on ${g.senderAddress}:${listenerPort} (its init.lua) and that the security group admits the generator there`,
    });
  }
  return proof;
}
