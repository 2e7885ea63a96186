import { defineConfig } from "vitest/config";

/**
 * The unit tests Stryker runs for each mutant (`npm run mutate`, stryker.config.mjs): the dedicated
 * tests of the decision modules only. No namespace lab, no root-only end-to-end test, no Pulumi
 * import (1–3 s per file), nothing that waits on a real clock: a mutant of a module every test
 * touches (the config schema, the trial record) re-runs every listed file that covers it, so a
 * file here must load and run in well under a second. Tests that only use a decision module along
 * the way (the report, the sweep's parts, the CLI) stay out; they run in `npm test` as ever.
 */
export default defineConfig({
  test: {
    include: [
      "test/infra/firewall-rules.test.ts",
      "test/infra/port-coverage.test.ts",
      "test/infra/policy-pack.test.ts",
      "test/infra/policy-pack-gaps.test.ts",
      "test/config/schema-invariants.test.ts",
      "test/config/profiles.test.ts",
      "test/trial-parser/rust-duration.test.ts",
      "test/trial-parser/series-summary.test.ts",
      "test/trial-parser/traffic-gen-output.test.ts",
      "test/trial-parser/traffic-gen-summary.test.ts",
      "test/sweep-units/validity.test.ts",
      "test/sweep-units/validity-reasons.test.ts",
      "test/sweep-units/counter-poller.test.ts",
      "test/sweep-units/kumod-counters.test.ts",
      "test/sweep-units/prometheus-text.test.ts",
      "test/sweep-units/trial-parts.test.ts",
      "test/sweep-units/estimate-plan.test.ts",
      "test/sweep-units/estimate-figures.test.ts",
      "test/sweep-units/plan-model.test.ts",
      "test/sweep-units/run-sweep.test.ts",
      "test/sweep-units/run-sweep-prefetch.test.ts",
      "test/report/statistics.test.ts",
      "test/report/welch.test.ts",
      "test/ssh/shell-quote.test.ts",
      "test/results/trial-record.test.ts",
      "test/provision/policies.test.ts",
      "test/provision/policy-inputs.test.ts",
      "test/provision/port25-firewall.test.ts",
      "test/knee/knee-units.test.ts",
      "test/report/published-setup.test.ts",
      "test/sweep-units/parallel-sweep.test.ts",
      "test/sweep-units/spot.test.ts",
    ],
    testTimeout: 10_000,
  },
});
