/**
 * Exit codes of every kumolab command (sweep, smoke, plan, doctor, lab, down, gc, report): the
 * same situation gives the same code whatever the command. Documented in the README ("Exit codes").
 */
import { CommanderError } from "commander";
import { LabConfigError } from "../../lab-config/resolve";
import { InventoryError } from "../hosts/inventory";

export const EXIT = {
  /** Done; for a sweep: every size (× workload) has at least one valid figure. */
  OK: 0,
  /** Failed: a step, a trial with --fail-fast, a teardown, a check of `doctor`; the message says what to do. */
  FAILED: 1,
  /** The configuration or the command line is wrong (lab config, inventory, options); nothing was created. */
  CONFIG: 2,
  /** The sweep ran to its end, but some size (× workload) has no valid figure: its trials were all invalid or failed. */
  NO_VALID_FIGURE: 3,
  /** Interrupted (Ctrl-C, SIGTERM): results kept, lab torn down unless --keep. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A wrong command line or option value, reported as a configuration error. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The exit code for a thrown error: configuration problems are CONFIG, anything else FAILED (commander's --help/--version keep 0). */
export function exitCodeOf(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.CONFIG;
  if (e instanceof LabConfigError || e instanceof InventoryError || e instanceof UsageError) return EXIT.CONFIG;
  return EXIT.FAILED;
}
