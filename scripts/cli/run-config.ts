/**
 * The lab config a run (`npm run sweep`, `npm run knee`) uses: the stack's (or, on an inventory,
 * the defaults file's), with an inventory's shorter SSH deadline and `--duration` applied.
 */
import { loadLabConfig } from "../../lab-config/load";
import { LabConfigError } from "../../lab-config/resolve";
import type { LabConfig } from "../../lab-config/schema";
import { INVENTORY_CONNECT_DEADLINE_SECONDS } from "../hosts/inventory";
import { EXIT } from "./exit-codes";

export interface RunConfigOptions {
  stack: string;
  /** The lab config defaults file (`--lab-config`). */
  labConfig: string;
  inventory?: string;
  /** `--duration <seconds>`: steady-state trials of this length. Default: the config's `trials.durationSeconds`. */
  duration?: number;
}

/** The config, or the exit code after the error was printed to stderr. */
export function loadRunConfig(opts: RunConfigOptions): { cfg: LabConfig } | { exit: number } {
  let cfg: LabConfig;
  try {
    cfg = loadLabConfig({ stack: opts.inventory ? undefined : opts.stack, defaultsFile: opts.labConfig }).config;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return { exit: e instanceof LabConfigError ? EXIT.CONFIG : EXIT.FAILED };
  }
  // An inventory's hosts are up already: an unreachable one fails in seconds, not after a boot's deadline.
  if (opts.inventory && cfg.ssh.connectDeadlineSeconds > INVENTORY_CONNECT_DEADLINE_SECONDS) cfg = { ...cfg, ssh: { ...cfg.ssh, connectDeadlineSeconds: INVENTORY_CONNECT_DEADLINE_SECONDS } };
  if (opts.duration !== undefined) cfg = { ...cfg, trials: { ...cfg.trials, durationSeconds: opts.duration } };
  return { cfg };
}
