import { defineConfig } from "vitest/config";

/**
 * The unit tests Stryker runs for each mutant (`npm run mutate`, stryker.config.mjs): the fast tests of
 * the decision modules only — no namespace lab, no root-only end-to-end test, nothing that waits on a
 * real clock for seconds. A file added here must stay fast: it runs once per mutant it covers.
 */
export default defineConfig({
  test: {
    include: [
      "test/infra/decisions.test.ts",
      "test/infra/policy-pack.test.ts",
      "test/infra/port-coverage.test.ts",
      "test/config/*.test.ts",
      "test/trial-parser/*.test.ts",
      "test/sweep-units/*.test.ts",
      "test/report/build-report.test.ts",
      "test/report/statistics.test.ts",
      "test/ssh/host-keys-and-quoting.test.ts",
      "test/results/*.test.ts",
      "test/provision/policies.test.ts",
      "test/provision/port25-firewall.test.ts",
    ],
    testTimeout: 20_000,
  },
});
