/**
 * `npm run smoke` over the namespace test lab: the product's own smoke CLI, with the lab driver
 * that builds namespace hosts. Test-only entry point.
 *   node --require tsx/cjs test/lab/smoke-entry.ts --lab-config <file> --yes [smoke options]
 */
import { runMain } from "../../scripts/cli/run-main";
import { smokeMain } from "../../scripts/cli/smoke";
import { NamespaceLabDriver } from "./namespace-lab-driver";

runMain((argv) => smokeMain(argv, { makeDriver: async () => new NamespaceLabDriver() }));
