/**
 * Makes a namespace lab host's root login behave like a cloud VM's (the harness does it for every
 * host unless asked to keep this machine's login, e.g. `npm run bench -- --machine-login`).
 *
 * bash sources ~/.bashrc even for the non-interactive commands sshd runs. The namespace hosts share
 * this machine's /root, and a developer's /root/.bashrc may do slow work (here `pyenv init` took
 * ~0.9 s per command), which would be charged to every SSH command of both provisioners and of each
 * trial. A cloud image's .bashrc (Ubuntu's /etc/skel/.bashrc) returns at once for non-interactive
 * shells; we bind-mount such a file over /root/.bashrc inside each host's private mount namespace
 * only — this machine's own file is not touched.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { LabHostHandle } from "./namespace-lab";

export const CLOUD_LIKE_BASHRC = [
  "# kumolab test lab: as Ubuntu's /etc/skel/.bashrc begins — non-interactive shells stop here.",
  "case $- in",
  "    *i*) ;;",
  "      *) return;;",
  "esac",
  "",
].join("\n");

export async function cloudLikeLogin(hosts: LabHostHandle[]): Promise<void> {
  if (!fs.existsSync("/root/.bashrc")) return; // nothing to shadow
  for (const h of hosts) {
    const file = path.join(h.rootDir, "bashrc");
    fs.writeFileSync(file, CLOUD_LIKE_BASHRC, { mode: 0o644 });
    const r = await h.exec(["mount", "--bind", file, "/root/.bashrc"], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`namespace lab: could not bind-mount a cloud-like .bashrc over /root/.bashrc on lab host ${h.name}: ${r.stderr.trim()}`);
  }
}
