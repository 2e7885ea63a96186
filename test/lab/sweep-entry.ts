/**
 * `npm run sweep` over the namespace test lab: the product's own sweep CLI, with the lab driver
 * that builds namespace hosts and "resizes" the sender with a cpuset. Test-only entry point.
 *   tsx test/lab/sweep-entry.ts --lab-config <file> --yes [sweep options]
 */
import { sweepMain } from "../../scripts/cli/sweep";
import { NamespaceLabDriver } from "./namespace-lab-driver";

sweepMain(process.argv.slice(2), { makeDriver: async () => new NamespaceLabDriver() }).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
