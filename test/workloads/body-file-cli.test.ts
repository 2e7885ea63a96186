/** npm run sweep with a workload whose body file is missing: refused before anything is planned or built (exit 2), saying which file and what to do. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import YAML from "yaml";
import { smallLabConfigObject } from "../lab/lab-files";

const REPO = path.resolve(__dirname, "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "kumolab-body-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a missing bodyFile stops the sweep with exit 2 before the plan, and nothing is written", () => {
  const cfg = smallLabConfigObject({ messageCount: 10 });
  const missing = path.join(dir, "nope.eml");
  cfg["workloads"] = { baseline: "published", list: [{ name: "published" }, { name: "mine", traffic: { bodyFile: missing } }] };
  const file = path.join(dir, "lab.yaml");
  writeFileSync(file, YAML.stringify(cfg));
  const results = path.join(dir, "results");
  const r = spawnSync(path.join(REPO, "node_modules/.bin/tsx"), [path.join(REPO, "scripts/cli/sweep.ts"), "--lab-config", file, "--inventory", path.join(dir, "hosts.yaml"), "--results", results, "--yes"], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
  expect(r.stderr).toContain(`workload 'mine': traffic.bodyFile ${missing} does not exist: fix the path in lab-config/lab.yaml (workloads.list)`);
  expect(r.status).toBe(2);
  expect(r.stdout).not.toMatch(/Sweep plan/);
  expect(existsSync(results)).toBe(false);
});
