/**
 * A parallel sweep on a real terminal: one bar per lab (cli-progress MultiBar), other lines above
 * them. Run under `script` (util-linux), which gives the process a pseudo-terminal, as a user's is.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, test } from "vitest";

const REPO = path.resolve(__dirname, "..", "..");
const TSX_HOOK = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const ENTRY = path.join(__dirname, "two-labs-entry.ts");
// The terminal's escape sequences, removed to read the text.
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

describe("per-lab progress bars on a terminal", () => {
  test("each lab has its own bar with its size, trial, count and rate; a lab's log line is prefixed with its lab", () => {
    const cmd = [process.execPath, "--require", TSX_HOOK, ENTRY].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("script", ["-q", "-e", "-c", cmd, "/dev/null"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, TERM: "xterm", COLUMNS: "160" } });
    expect(r.status, r.stderr).toBe(0);
    const text = r.stdout.replace(ANSI, "");
    expect(text).toMatch(/lab1 c2-r4 trial 1\/2 \|[^|]*\| 1200\/3000 msgs \| 600 msgs\/s/);
    expect(text).toMatch(/lab2 c4-r16 trial 1\/2 \|[^|]*\| 2500\/3000 msgs \| 1,250 msgs\/s/);
    expect(text).toContain("[lab1] provisioned");
    expect(text).toContain("sweep finished");
  });
});
