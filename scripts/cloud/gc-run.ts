/**
 * `npm run gc` without the terminal: every kumolab lab the clouds show by tag (and every expired
 * stack in the local state, if there is one), grouped by lab with age and expiry; then, after asking,
 * the expired ones are deleted — through their stack when this machine has it (recover + destroy),
 * else straight from the clouds by tag. A stack whose lock is live (a sweep running) is skipped and
 * named; a stale lock (its process gone, or older than any lab operation) does not stop it.
 */
import { labIdFor } from "../../infra/tags";
import { formatTeardownFailure, type TeardownOutcome } from "../lab-drivers/lab-driver";
import { formatCloudLab, groupLabs, type CloudInventory, type CloudLab } from "./cloud-inventory";
import { findExpiredLabs, type BackendStacks, type ExpiredLab } from "./expired-labs";
import type { LockVerdict } from "./stack-locks";

/** How long listing the clouds may take. */
export const LIST_DEADLINE_MS = 5 * 60_000;
/** How long removing one lab by tag may take. */
export const REMOVE_DEADLINE_MS = 30 * 60_000;

export interface GcDeps {
  /** The local (or configured) state backend; undefined when there is none (another machine, a cleaned checkout). */
  stacks: BackendStacks | undefined;
  inventory: CloudInventory;
  /** The lock state of a stack before anything touches it. */
  lockVerdict(stack: string): LockVerdict;
  /** Recover + destroy through the stack (PulumiLabDriver). */
  destroyStack(stack: string): Promise<TeardownOutcome>;
  confirm(question: string): Promise<boolean>;
  out(line: string): void;
  err(line: string): void;
  project: string;
  now?: Date;
}

export interface GcResult {
  labs: CloudLab[];
  deleted: string[];
  skipped: Array<{ labId: string; stack?: string; why: string }>;
  failed: string[];
}

/** `list` only prints; `gc` prints and (after asking) deletes the expired labs. */
export async function runGc(deps: GcDeps, opts: { delete: boolean }): Promise<GcResult> {
  const now = deps.now ?? new Date();
  const result: GcResult = { labs: [], deleted: [], skipped: [], failed: [] };

  // The local state first (it may be missing or unreadable: the clouds' tags still show the labs).
  let expiredStacks: ExpiredLab[] = [];
  const stackOfLab = new Map<string, string>();
  if (deps.stacks === undefined) deps.out("no local state backend: going by the clouds' tags only");
  else {
    try {
      const found = await findExpiredLabs(deps.stacks, now);
      expiredStacks = found.expired;
      for (const n of found.notes) deps.out(`note: ${n}`);
      for (const s of await deps.stacks.listStacks()) stackOfLab.set(labIdFor(deps.project, s.name), s.name);
      for (const e of expiredStacks) stackOfLab.set(e.labId, e.stack);
    } catch (e) {
      deps.out(`note: the state backend could not be read (${(e as Error).message.split("\n")[0] ?? ""}); going by the clouds' tags only`);
    }
  }

  const listed = await deps.inventory.list({ signal: AbortSignal.timeout(LIST_DEADLINE_MS) });
  for (const w of listed.warnings) deps.out(`warning: ${w}`);
  const labs = groupLabs(listed.resources, now);
  result.labs = labs;
  if (labs.length === 0) deps.out(`no kumolab resources in ${deps.inventory.description}`);
  else deps.out(`kumolab labs in ${deps.inventory.description}:\n${labs.map((l) => `  ${formatCloudLab(l, now)}`).join("\n")}`);
  if (!opts.delete) return result;

  // Expired: by the clouds' tags, plus expired stacks whose resources the tags do not show (yet).
  const expiredIds = [...new Set([...labs.filter((l) => l.expired).map((l) => l.labId), ...expiredStacks.map((s) => s.labId)])];
  if (expiredIds.length === 0) {
    deps.out("no expired labs");
    return result;
  }
  const targets: Array<{ labId: string; stack?: string }> = [];
  for (const labId of expiredIds) {
    const stack = stackOfLab.get(labId);
    if (stack !== undefined) {
      const lock = deps.lockVerdict(stack);
      if (lock.state === "live" || lock.state === "unknown") {
        const why = lock.state === "live" ? `${lock.why}: a sweep may be running; left alone (run gc again when it is done, or 'npm run down -- --stack ${stack}' to force)` : `lock state unknown (${lock.why}); left alone`;
        result.skipped.push({ labId, stack, why });
        deps.out(`skipped stack ${stack} (lab ${labId}): ${why}`);
        continue;
      }
      if (lock.state === "stale") deps.out(`stack ${stack}: ${lock.why}; it will be cleared`);
    }
    targets.push({ labId, ...(stack !== undefined ? { stack } : {}) });
  }
  if (targets.length === 0) return result;
  const describe = (t: { labId: string; stack?: string }) => {
    const lab = labs.find((l) => l.labId === t.labId);
    return `${t.labId}${t.stack !== undefined ? ` (stack ${t.stack})` : " (no local stack: deleted by tag)"}${lab !== undefined ? `, ${lab.resources.length} tagged resources` : ""}`;
  };
  if (!(await deps.confirm(`Delete these ${targets.length} expired lab(s)?\n${targets.map((t) => `  ${describe(t)}`).join("\n")}\n[y/N] `))) {
    deps.out("nothing deleted");
    return result;
  }

  for (const t of targets) {
    if (t.stack !== undefined) {
      const outcome = await deps.destroyStack(t.stack);
      if (!outcome.ok) {
        result.failed.push(t.labId);
        deps.err(`${t.stack}: ${formatTeardownFailure(outcome)}`);
        continue;
      }
      deps.out(`${t.stack}: ${outcome.detail}`);
    }
    // What the clouds still tag with this lab (all of it without a stack; orphans after a stack's destroy).
    const left = (await deps.inventory.list({ labId: t.labId, signal: AbortSignal.timeout(LIST_DEADLINE_MS) })).resources;
    if (left.length > 0) {
      deps.out(`lab ${t.labId}: ${left.length} resource(s) tagged in the clouds${t.stack !== undefined ? " outside the stack's state" : ""}; deleting by tag`);
      const removal = await deps.inventory.remove(left, { signal: AbortSignal.timeout(REMOVE_DEADLINE_MS) });
      if (removal.remaining.length > 0) {
        result.failed.push(t.labId);
        deps.err(`lab ${t.labId}: still there:\n${removal.remaining.map((r) => `  - ${r}`).join("\n")}\nTo remove:\n${removal.howToRemove.map((c) => `  ${c}`).join("\n")}\n`);
        continue;
      }
    }
    result.deleted.push(t.labId);
    deps.out(`lab ${t.labId} deleted`);
  }
  return result;
}
