/**
 * Pulumi's locks on a self-managed (file://) backend, read so that `gc` and `down` never take the
 * lab from under a running sweep. Pulumi's diy backend (pkg/backend/diy/lock.go) writes one file per
 * lock holder at `<state>/.pulumi/locks/<org>/<project>/<stack>/<lock id>.json` holding
 * `{"pid", "username", "hostname", "timestamp"}`, and `pulumi cancel` deletes them all — whether
 * their process still runs or not. So kumolab reads them first: a lock is stale when its process is
 * gone (same host) or it is older than any lab operation may take (LOCK_STALE_AFTER_MS).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** Longer than any single Pulumi operation of a sweep holds the lock (a new lab's `up` ~10 min, a resize less, a destroy ~10 min). */
export const LOCK_STALE_AFTER_MS = 3 * 3_600_000;

const lockSchema = z.object({ pid: z.number().int(), username: z.string(), hostname: z.string(), timestamp: z.string() });

export interface StackLock {
  file: string;
  pid: number;
  username: string;
  hostname: string;
  timestamp: string;
}

export type LockVerdict = { state: "none" } | { state: "stale"; why: string } | { state: "live"; why: string } | { state: "unknown"; why: string };

/** The lock files of `project/stack` under a file:// backend's folder (any org). */
export function readStackLocks(stateDir: string, project: string, stack: string): StackLock[] {
  const root = path.join(stateDir, ".pulumi", "locks");
  if (!existsSync(root)) return [];
  const locks: StackLock[] = [];
  for (const org of readdirSync(root)) {
    const dir = path.join(root, org, project, stack);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
      const file = path.join(dir, f);
      const parsed = lockSchema.safeParse(JSON.parse(readFileSync(file, "utf8")) as unknown);
      if (!parsed.success) throw new Error(`${file} is not a Pulumi lock file (pid, username, hostname, timestamp): ${parsed.error.issues[0]?.message ?? ""}`);
      locks.push({ file, ...parsed.data });
    }
  }
  return locks;
}

export interface LockJudge {
  hostname: string;
  now: Date;
  /** Whether a process of this host runs with this pid. */
  isAlive(pid: number): boolean;
  staleAfterMs?: number;
}

/** `process.kill(pid, 0)`: ESRCH = gone; EPERM = alive (another user's process). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export const localJudge = (): LockJudge => ({ hostname: os.hostname(), now: new Date(), isAlive: processAlive });

/** Live if any lock is live; stale if every lock is stale (its process gone on this host, or older than the bound). */
export function judgeLocks(locks: StackLock[], judge: LockJudge): LockVerdict {
  if (locks.length === 0) return { state: "none" };
  const bound = judge.staleAfterMs ?? LOCK_STALE_AFTER_MS;
  const reasons: string[] = [];
  for (const l of locks) {
    const who = `pid ${l.pid} of ${l.username} on ${l.hostname} since ${l.timestamp}`;
    const t = Date.parse(l.timestamp);
    const ageMs = judge.now.getTime() - t;
    if (Number.isNaN(t)) return { state: "live", why: `locked by ${who} (unreadable time: treated as live)` };
    if (ageMs > bound) {
      reasons.push(`${who}: older than ${bound / 3_600_000} h`);
      continue;
    }
    if (l.hostname === judge.hostname && !judge.isAlive(l.pid)) {
      reasons.push(`${who}: that process is gone`);
      continue;
    }
    const where = l.hostname === judge.hostname ? "still running on this host" : `on another host, younger than ${bound / 3_600_000} h`;
    return { state: "live", why: `locked by ${who} (${where})` };
  }
  return { state: "stale", why: `stale lock(s): ${reasons.join("; ")}` };
}

/** The folder of a file:// backend URL (`file:///abs`, `file://~/state`, `file://./state`). */
export function fileBackendDir(url: string): string {
  const rest = url.slice("file://".length);
  if (rest.startsWith("~")) return path.join(os.homedir(), rest.slice(1));
  return rest.startsWith("/") ? fileURLToPath(`file://${rest}`) : path.resolve(rest);
}

/** The verdict for a stack on a backend URL: only file:// backends are readable here. */
export function stackLockVerdict(backendUrl: string, project: string, stack: string, judge: LockJudge = localJudge()): LockVerdict {
  if (!backendUrl.startsWith("file://")) return { state: "unknown", why: `locks on ${backendUrl} are not readable by kumolab` };
  try {
    return judgeLocks(readStackLocks(fileBackendDir(backendUrl), project, stack), judge);
  } catch (e) {
    return { state: "unknown", why: (e as Error).message };
  }
}
