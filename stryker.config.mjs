// Mutation testing of the decision modules: `npm run mutate` (not part of `npm test` or CI: too slow
// for 2 cores). Survivors that cannot be killed are listed, with why, in mutation-equivalents.md
// beside this file; the latest figures are in the README's Performance section.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts" },
  coverageAnalysis: "perTest",
  // Static mutants (code run once, when a module is loaded: the zod schemas, constant tables) would
  // each re-run every test that imports the module — about 9 s apiece for lab-config/schema.ts and
  // 400 of them, far over the 20-minute budget on 2 cores. They are left out of the run and the
  // score; what they hold (bounds, tables) is asserted by the unit tests all the same.
  ignoreStatic: true,
  mutate: [
    "infra/firewall-rules.ts",
    "policy-pack/*.ts",
    // Only `new PolicyPack(…)` (which starts the policy server): loaded as the Pulumi CLI loads it by
    // test/infra/policy-pack-load.test.ts, outside the per-mutant set. No decision lives here.
    "!policy-pack/index.ts",
    "lab-config/schema.ts",
    "lab-config/resolve.ts",
    "scripts/trial/traffic-gen-output.ts",
    "scripts/trial/rust-duration.ts",
    "scripts/trial/validity.ts",
    "scripts/trial/series-summary.ts",
    "scripts/trial/prometheus.ts",
    "scripts/trial/counter-poller.ts",
    "scripts/report/statistics.ts",
    "scripts/sweep/estimate.ts",
    "scripts/sweep/plan-model.ts",
    "scripts/sweep/run-sweep.ts",
    "scripts/provision/port25-firewall.ts",
    "scripts/provision/policies.ts",
    "scripts/ssh/shell-quote.ts",
    "scripts/results/trial-record.ts",
    "scripts/trial/rate-drop.ts",
    "scripts/knee/knee-rule.ts",
    "scripts/report/setup-match.ts",
    "scripts/sweep/lab-slots.ts",
    "scripts/sweep/spot-retry.ts",
    "scripts/lab-drivers/spot-reclaim.ts",
  ],
  // The machine has 2 cores, often shared: one or two test processes, never more.
  concurrency: 2,
  // A mutant that loops forever is cut off after 5 s more than the tests normally take (Stryker's default).
  timeoutMS: 5000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 85, low: 75, break: null },
  tempDirName: ".stryker-tmp",
  // Anchored: a bare "results" would also drop scripts/results/ from the sandbox.
  ignorePatterns: ["/results", "/bench-results", "/reports", "/.pulumi-state"],
  cleanTempDir: "always",
};
