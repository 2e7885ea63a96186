/**
 * The end state both provisioners must leave, checked from outside SSH (the lab harness reads each
 * host's private tree and enters its namespaces): policies in place with the rendered content, the
 * packaged init.lua kept, both kumods running with their policy, the port-25 table on both hosts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { KUMOD_PID_FILE, PORT25_TABLE, SENDER_ORIGINAL_POLICY_PATH, SENDER_POLICY_PATH, SINK_POLICY_PATH } from "../../scripts/provision/lab-endpoints";
import { tableIsEffective } from "../../scripts/provision/port25-firewall";
import type { LabHostHandle } from "../lab/namespace-lab";

function readInHost(h: LabHostHandle, p: string): string | undefined {
  const f = path.join(h.rootDir, "fs", p);
  return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined;
}

function kumodProblem(h: LabHostHandle, policyPath: string): string | undefined {
  const pidText = readInHost(h, KUMOD_PID_FILE)?.trim();
  if (!pidText || !/^\d+$/.test(pidText)) return `${h.name}: no pid in ${KUMOD_PID_FILE}`;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pidText}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return `${h.name}: kumod pid ${pidText} is not running`;
  }
  return cmdline.includes(`--policy ${policyPath}`) ? undefined : `${h.name}: pid ${pidText} is not kumod with ${policyPath} (${cmdline.slice(0, 200)})`;
}

async function tableProblem(h: LabHostHandle): Promise<string | undefined> {
  const r = await h.exec(["nft", "list", "table", "inet", PORT25_TABLE], { timeoutMs: 10_000 });
  if (r.code !== 0) return `${h.name}: table inet ${PORT25_TABLE} missing (${r.stderr.trim()})`;
  return tableIsEffective(r.stdout) ? undefined : `${h.name}: table inet ${PORT25_TABLE} lacks the reject rule`;
}

/** Problems with the end state; empty when both hosts are provisioned. */
export async function endStateProblems(sender: LabHostHandle, sink: LabHostHandle, want: { sinkPolicy: string; senderPolicy: string }): Promise<string[]> {
  const problems: Array<string | undefined> = [];
  if (readInHost(sink, SINK_POLICY_PATH) !== want.sinkPolicy) problems.push(`sink: ${SINK_POLICY_PATH} missing or not the rendered policy`);
  if (readInHost(sender, SENDER_POLICY_PATH) !== want.senderPolicy) problems.push(`sender: ${SENDER_POLICY_PATH} missing or not the rendered policy`);
  if (readInHost(sender, SENDER_ORIGINAL_POLICY_PATH) === undefined) problems.push(`sender: the packaged init.lua was not kept at ${SENDER_ORIGINAL_POLICY_PATH}`);
  problems.push(kumodProblem(sink, SINK_POLICY_PATH), kumodProblem(sender, SENDER_POLICY_PATH));
  problems.push(...(await Promise.all([tableProblem(sender), tableProblem(sink)])));
  return problems.filter((p): p is string => p !== undefined);
}
