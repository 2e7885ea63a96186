/** Test-side helpers to run the stand-ins inside lab hosts (the product uses SSH instead). */
import * as fs from "node:fs";
import * as path from "node:path";
import { kumodTruthSchema, trafficGenTruthSchema, KUMOD_TRUTH_PATH, TRAFFIC_GEN_TRUTH_PATH, type KumodTruth, type TrafficGenTruth } from "../fixtures/standin-truth";
import type { LabHostHandle } from "./namespace-lab";

/** Write a file into a host's private tree (path as seen inside the host, under a private dir). */
export function writeHostFile(host: LabHostHandle, inHostPath: string, content: string, mode = 0o644): void {
  const p = path.join(host.rootDir, "fs", inHostPath);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content, { mode });
}

/** Start kumod in the background inside the host; waits (bounded) for a 220 on `smtpPort`. */
export async function startKumod(host: LabHostHandle, policyPath: string, smtpPort: number, timeoutMs = 10_000): Promise<void> {
  const r = await host.exec(["sh", "-c",
    `KUMOD_LOG=kumod=info nohup /opt/kumomta/sbin/kumod --policy '${policyPath}' --user kumod >>/var/log/kumomta/kumod.log 2>&1 & echo $! > /run/kumolab/kumod.pid`]);
  if (r.code !== 0) throw new Error(`starting kumod on ${host.name}: ${r.stderr}`);
  const start = Date.now();
  for (let i = 0; i < 100 && Date.now() - start < timeoutMs; i++) {
    const probe = await host.exec(["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${smtpPort} && head -c 3 <&3`], { timeoutMs: 2000 });
    if (probe.stdout === "220") return;
    await new Promise((res) => setTimeout(res, 100));
  }
  const log = fs.readFileSync(path.join(host.rootDir, "fs", "var", "log", "kumomta", "kumod.log"), "utf8");
  throw new Error(`kumod on ${host.name} did not answer SMTP on port ${smtpPort} within ${timeoutMs} ms; its log:\n${log}`);
}

export function readKumodTruth(host: LabHostHandle): KumodTruth {
  return kumodTruthSchema.parse(JSON.parse(fs.readFileSync(path.join(host.rootDir, "fs", KUMOD_TRUTH_PATH), "utf8")));
}

/**
 * kumod's truth once it is settled: the stand-in flushes it at most every 200 ms, so a read right
 * after a trial can miss the last receipts. Settled = the same flush seen twice, 250 ms apart.
 */
export async function settledKumodTruth(host: LabHostHandle, timeoutMs = 5_000): Promise<KumodTruth> {
  const start = Date.now();
  let last = readKumodTruth(host);
  for (let i = 0; i < 100 && Date.now() - start < timeoutMs; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const now = readKumodTruth(host);
    if (now.updatedAtMs === last.updatedAtMs) return now;
    last = now;
  }
  throw new Error(`kumod's truth on ${host.name} kept changing for ${timeoutMs} ms (is traffic still flowing?)`);
}

export function readTrafficGenTruth(host: LabHostHandle): TrafficGenTruth {
  return trafficGenTruthSchema.parse(JSON.parse(fs.readFileSync(path.join(host.rootDir, "fs", TRAFFIC_GEN_TRUTH_PATH), "utf8")));
}

/**
 * One metric from kumod's /metrics fetched inside the host. `series` is either an exact series as
 * printed (`total_messages_received{service="esmtp_listener"}`: kumod exports a total AND
 * per-listener/per-queue series, so summing those double-counts) or a bare name, summed over its
 * series (for families with no total series, such as scheduled_count{queue}). Absent = 0.
 */
export async function metricTotal(host: LabHostHandle, url: string, series: string): Promise<number> {
  const r = await host.exec(["curl", "-sf", "--max-time", "2", url], { timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`GET ${url} on ${host.name} failed (${r.code}): ${r.stderr}`);
  let total = 0;
  for (const line of r.stdout.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    if (series.includes("{") ? `${m[1]}${m[2] ?? ""}` === series : m[1] === series) total += Number(m[3]);
  }
  return total;
}
