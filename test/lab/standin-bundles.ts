/**
 * The stand-ins (kumod, traffic-gen, and systemd's manager and client on systemd hosts) as plain
 * CommonJS bundles (esbuild), built once per process. Run through tsx
 * instead, every start compiles the TypeScript again (each host's /tmp, where tsx caches, is
 * private and fresh): 0.5–1.5 s per kumod start on this machine, where the real kumod, a native
 * binary, starts in a fraction of that. That start-up sat on every provisioning and every trial
 * the bench timed, on both sides of its comparisons.
 *
 * The bundles live under the repository (node_modules/.cache), which every host sees at
 * REPO_IN_HOST, in a directory named for their content: concurrent test processes building the
 * same sources write the same files (each by an atomic rename) and nothing piles up.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";

const REPO = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(REPO, "test", "fixtures");
const CACHE = path.join(REPO, "node_modules", ".cache", "kumolab-standins");

const ENTRIES = {
  kumod: path.join(FIXTURES, "kumod", "main.ts"),
  trafficGen: path.join(FIXTURES, "traffic-gen", "main.ts"),
  // systemd hosts: the service manager (PID 1's child) and the systemctl/journalctl client
  systemdManager: path.join(FIXTURES, "systemd", "manager.ts"),
  systemdClient: path.join(FIXTURES, "systemd", "client.ts"),
} as const;

/** Each bundle's path relative to the repository root. */
export type StandinBundles = Record<keyof typeof ENTRIES, string>;
/** Files the bundles read at run time, beside them (the kumod stand-in finds its Lua shim by __dirname). */
const RUNTIME_FILES = [path.join(FIXTURES, "kumod", "kumo-shim.lua")];

let built: StandinBundles | undefined;

function writeAtomic(file: string, content: string | Buffer): void {
  if (fs.existsSync(file)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o644 });
  fs.renameSync(tmp, file);
}

export function standinBundles(): StandinBundles {
  if (built) return built;
  const outputs = Object.entries(ENTRIES).map(([name, entry]) => {
    const r = buildSync({ entryPoints: [entry], bundle: true, platform: "node", format: "cjs", target: "node20", write: false, outfile: `${name}.cjs`, logLevel: "silent" });
    const file = r.outputFiles[0];
    if (!file) throw new Error(`esbuild produced no output for the ${name} stand-in (${entry})`);
    return { name, text: file.text };
  });
  const hash = createHash("sha256");
  for (const o of outputs) hash.update(o.name).update("\0").update(o.text).update("\0");
  const runtime = RUNTIME_FILES.map((f) => ({ name: path.basename(f), content: fs.readFileSync(f) }));
  for (const r of runtime) hash.update(r.name).update("\0").update(r.content).update("\0");
  const dir = path.join(CACHE, hash.digest("hex").slice(0, 16));
  fs.mkdirSync(dir, { recursive: true });
  for (const o of outputs) writeAtomic(path.join(dir, `${o.name}.cjs`), o.text);
  for (const r of runtime) writeAtomic(path.join(dir, r.name), r.content);
  const rel = (name: string): string => path.relative(REPO, path.join(dir, `${name}.cjs`));
  built = { kumod: rel("kumod"), trafficGen: rel("trafficGen"), systemdManager: rel("systemdManager"), systemdClient: rel("systemdClient") };
  return built;
}
