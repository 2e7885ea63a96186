/**
 * Which lab measures which size in a parallel sweep (`--parallel N`), and what each lab's stack is
 * called. Pure decisions: the sweep records them in run.json (`labs`), and `--resume`, `npm run down
 * -- --run` read them back from there, so a size always returns to the lab (stack) it started on.
 */
import type { SenderSize } from "../../lab-config/schema";

/** One lab of a sweep: its label in progress lines and the timeline, its stack, its sizes in order. */
export interface LabSlot {
  /** `lab1`, `lab2`, … (1-based, in the order of the sizes they start with). */
  lab: string;
  /**
   * The lab's Pulumi stack: the sweep's `--stack` for a single lab (today's behaviour), else
   * `<stack>-lab<i>` (e.g. `dev-lab2`). Absent on an inventory or the namespace test lab.
   */
  stack?: string;
  /** Size ids this lab measures, one after another (the sender resized in place between them). */
  sizes: string[];
}

/** The label of lab `i` (0-based). */
export const labLabel = (i: number): string => `lab${i + 1}`;

/** The stack of lab `i` (0-based) of `labs`: the base stack itself when there is one lab. */
export function labStackName(base: string, i: number, labs: number): string {
  return labs <= 1 ? base : `${base}-${labLabel(i)}`;
}

/** The `--stack` a lab's stack was named from (`dev-lab2` → `dev`); a single lab's stack is its own base. */
export function baseStackOf(stack: string): string {
  return stack.replace(/-lab\d+$/, "");
}

/**
 * Sizes dealt to at most `parallel` labs round-robin in the sweep's order: size k goes to lab
 * (k mod N) + 1. With as many labs as sizes every size has a lab of its own; with fewer, a lab takes
 * every N-th size (sizes are listed small to large, so each lab gets a mix of slow and fast sizes).
 * Never more labs than sizes (a lab with nothing to measure would cost a sink for nothing).
 */
export function assignSizesToLabs(sizes: readonly Pick<SenderSize, "id">[], parallel: number, baseStack?: string): LabSlot[] {
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`--parallel must be a positive whole number, not ${parallel}`);
  const ids = sizes.map((s) => s.id).filter((id, i, all) => all.indexOf(id) === i);
  const n = Math.max(1, Math.min(parallel, ids.length));
  return Array.from({ length: n }, (_, i): LabSlot => ({
    lab: labLabel(i),
    ...(baseStack !== undefined ? { stack: labStackName(baseStack, i, n) } : {}),
    sizes: ids.filter((_, k) => k % n === i),
  }));
}

/**
 * The labs of a resumed run: run.json's own assignment when it has one (sizes it does not name —
 * none, unless run.json was edited — go to the lab of the size before them); a run from before
 * parallel labs was one lab.
 */
export function labsForResume(recorded: readonly LabSlot[] | undefined, sizes: readonly Pick<SenderSize, "id">[], baseStack?: string): LabSlot[] {
  if (recorded === undefined || recorded.length === 0) return assignSizesToLabs(sizes, 1, baseStack);
  const slots = recorded.map((s, i): LabSlot => ({
    ...s,
    ...(s.stack === undefined && baseStack !== undefined ? { stack: labStackName(baseStack, i, recorded.length) } : {}),
    sizes: s.sizes.filter((id) => sizes.some((z) => z.id === id)),
  }));
  let last = slots[0] as LabSlot;
  for (const s of sizes) {
    const owner = slots.find((slot) => slot.sizes.includes(s.id));
    if (owner) last = owner;
    else last.sizes.push(s.id);
  }
  return slots.filter((s) => s.sizes.length > 0);
}
