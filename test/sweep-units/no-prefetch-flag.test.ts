/**
 * `--no-prefetch` and the default, as the sweep command hands them to the lab driver it opens: a
 * second sender slot only when prefetch is on and there is more than one size to measure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { sweepMain } from "../../scripts/cli/sweep";

const work = mkdtempSync(path.join(os.tmpdir(), "kumolab-no-prefetch-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The `prefetch` the sweep asked its driver for; the driver refuses to open, so nothing runs. */
async function prefetchAskedFor(args: string[]): Promise<boolean | undefined> {
  let seen: boolean | undefined;
  const quiet = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    await expect(
      sweepMain(["--yes", "--results", path.join(work, "r"), ...args], {
        makeDriver: async (_cfg, o) => {
          seen = o.prefetch;
          throw new Error("no lab in this test");
        },
      }),
    ).rejects.toThrow("no lab in this test");
  } finally {
    quiet.mockRestore();
  }
  return seen;
}

describe("the sweep command's prefetch switch", () => {
  test("on by default with two sizes; off with --no-prefetch; off with one size", async () => {
    expect(await prefetchAskedFor(["--sizes", "c2-r4,c4-r16"])).toBe(true);
    expect(await prefetchAskedFor(["--sizes", "c2-r4,c4-r16", "--no-prefetch"])).toBe(false);
    expect(await prefetchAskedFor(["--sizes", "c4-r16"])).toBe(false);
  });
});
