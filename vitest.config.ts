import { defineConfig } from "vitest/config";

// The stand-ins' fidelity files listen on fixed loopback addresses (127.0.0.8x, …): one at a time,
// after the rest. Everything else runs two files at once — the namespace-lab files each build their
// own hosts on their own 198.18.N.0/24 and mostly wait on them; the unit files mostly compute.
const LOOPBACK_FILES = ["test/lab/**/*.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: "main", include: ["test/**/*.test.ts"], exclude: LOOPBACK_FILES, maxWorkers: 2 },
      },
      {
        extends: true,
        test: { name: "loopback", include: LOOPBACK_FILES, fileParallelism: false },
      },
    ],
  },
});
