import { defineConfig } from "vitest/config";

// Files that build namespace-lab hosts or run the stand-ins on fixed loopback addresses: one at
// a time, after the rest. Everything else runs two files at once (the CI machine has 2 cores).
const LAB_FILES = ["test/**/*.e2e.test.ts", "test/lab/**/*.test.ts", "test/report/report-model.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: LAB_FILES, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: "lab", include: LAB_FILES, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
