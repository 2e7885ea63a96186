/**
 * `npm run sweep` over the namespace test lab: the product's own sweep CLI, with the lab driver
 * that builds namespace hosts and "resizes" the sender with a cpuset. Test-only entry point.
 * The hook is called once per lab (`--parallel N`): each call builds a namespace lab of its own.
 *   node --require tsx/cjs test/lab/sweep-entry.ts --lab-config <file> --yes [sweep options]
 */
import { runMain } from "../../scripts/cli/run-main";
import { sweepMain } from "../../scripts/cli/sweep";
import { NamespaceLabDriver } from "./namespace-lab-driver";

runMain((argv) => sweepMain(argv, { makeDriver: async (_cfg, _opts, slot) => new NamespaceLabDriver({ label: slot.lab }) }));
