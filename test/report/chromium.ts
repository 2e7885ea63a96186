/** Headless Chromium for the report tests: local files only, networking features off, a throwaway profile. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

function withProfile<T>(fn: (profile: string) => T): T {
  const profile = mkdtempSync(join(tmpdir(), "kumolab-chromium-"));
  try {
    return fn(profile);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The DOM Chromium built from a file (for XML, a `parsererror` element marks a malformed document). */
export function dumpDom(file: string): string {
  return withProfile((profile) =>
    execFileSync(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, "--dump-dom", `file://${file}`], { timeout: 60_000, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
  );
}

export function screenshot(url: string, png: string): void {
  withProfile((profile) => {
    execFileSync(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, `--screenshot=${png}`, "--window-size=1200,900", url], { timeout: 60_000, stdio: "ignore" });
  });
}
