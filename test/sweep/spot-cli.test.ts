/**
 * `--spot` at the command line, offline: your own hosts (an inventory) cannot be on spot — refused
 * as a command-line error (exit 2) before any plan, nothing opened or written.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import YAML from "yaml";
import { smallLabConfigObject } from "../lab/lab-files";

const REPO = path.resolve(__dirname, "..", "..");
const TSX_HOOK = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const work = mkdtempSync(path.join(os.tmpdir(), "kumolab-spot-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it("--spot with --inventory: exit 2, says why, plans and writes nothing", async () => {
  const labConfig = path.join(work, "lab.yaml");
  writeFileSync(labConfig, YAML.stringify(smallLabConfigObject({ messageCount: 400, trials: 1 })));
  const key = path.join(work, "id_ed25519");
  writeFileSync(key, "not a key\n");
  chmodSync(key, 0o600);
  const host = (address: string) => ({ address, port: 22, user: "ubuntu", privateKeyPath: key, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBN54lDZqZ4Q3nWLyIPrpJhNHuUgMlO0bYmDmn+D62a1", size: { label: "m5.xlarge", vcpu: 4, ramGiB: 16 } });
  const inventory = path.join(work, "hosts.yaml");
  writeFileSync(inventory, YAML.stringify({ labId: "mine", sender: host("203.0.113.10"), sink: host("198.51.100.20"), sinkAddressFromSender: "198.51.100.20", sinkPort: 2600 }));
  const results = path.join(work, "results");
  const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ["--require", TSX_HOOK, path.join(REPO, "scripts", "cli", "sweep.ts"), "--lab-config", labConfig, "--inventory", inventory, "--spot", "--yes", "--results", results], {
      cwd: work,
      env: { PATH: path.dirname(process.execPath), HOME: work, KUMOLAB_TEST_ISOLATED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr.on("data", (d: Buffer) => (text += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (c) => {
      clearTimeout(killer);
      resolve({ code: c, out: text });
    });
  });
  expect(code, out).toBe(2);
  expect(out).toMatch(/^--spot: inventory .*hosts\.yaml.* cannot use spot capacity \(your own hosts are what they are\); drop --spot$/m);
  expect(out).not.toMatch(/Sweep plan/);
  expect(readdirSync(work)).not.toContain("results");
}, 90_000);
