/**
 * Idempotent file placement in one remote call: the content travels on the command's stdin into a
 * temporary file beside the target, is checked against its SHA-256 (a dropped connection must not
 * install half a policy), and replaces the target by an atomic rename only when content, mode or
 * owner differ. Optionally the file found there first is kept aside once (the packaged original).
 *
 * One call instead of a check, an SFTP write and a rename: each remote command costs a process
 * start on the host, and provisioning's time is mostly such round trips.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import { z } from "zod";
import { UNIX_NAME } from "../../lab-config/schema";
import type { SshSession } from "../ssh/session";
import { shellQuote } from "../ssh/shell-quote";

export interface RemoteFileSpec {
  /** Absolute path on the host. Its directory is created when missing. */
  path: string;
  content: string;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  /** Default root. */
  owner?: string;
  /** Default: the owner. */
  group?: string;
  /**
   * Before replacing the file, keep the one found there as this path — once: never overwrite an
   * earlier saved copy, and never save a file holding `marker` (our own, from an earlier run).
   */
  keepOriginal?: { as: string; marker: string };
}

/** What happened to the original (when `keepOriginal` was asked for). */
export const originalStateSchema = z.enum(["saved", "kept", "ours", "none"]);
export type OriginalState = z.infer<typeof originalStateSchema>;

export interface RemoteFileResult {
  changed: boolean;
  original?: OriginalState;
}

function sha256Hex(content: string): string {
  return createHash("sha256").update(content).digest("hex");
}

/**
 * The remote script (run as root); prints `original-<state>` (when asked) and `changed`/`unchanged`,
 * and leaves the same word in `$placed` for commands appended after it.
 */
export function remoteFileScript(spec: RemoteFileSpec): string {
  const owner = spec.owner ?? "root";
  const group = spec.group ?? owner;
  if (!path.posix.isAbsolute(spec.path) || spec.path.endsWith("/")) throw new Error(`not an absolute file path: ${spec.path}`);
  if (!UNIX_NAME.test(owner) || !UNIX_NAME.test(group)) throw new Error(`bad owner ${owner}:${group} for ${spec.path}`);
  if (!Number.isInteger(spec.mode) || spec.mode < 0 || spec.mode > 0o7777) throw new Error(`bad mode ${spec.mode} for ${spec.path}`);
  const p = shellQuote(spec.path);
  const dir = shellQuote(path.posix.dirname(spec.path));
  const tmpl = shellQuote(path.posix.join(path.posix.dirname(spec.path), `.${path.posix.basename(spec.path)}.kumolab-XXXXXX`));
  const mode = spec.mode.toString(8);
  const keep = spec.keepOriginal;
  return [
    `mkdir -p ${dir} || exit 10`,
    `tmp=$(mktemp ${tmpl}) || exit 10`,
    `trap 'rm -f "$tmp"' EXIT`,
    `cat > "$tmp" || exit 11`,
    `got=$(sha256sum < "$tmp" | cut -d' ' -f1)`,
    `if [ "$got" != ${sha256Hex(spec.content)} ]; then echo "received $(wc -c < "$tmp") bytes with SHA-256 $got, not the content sent (the connection may have dropped)" >&2; exit 12; fi`,
    ...(keep
      ? [
          `o=${shellQuote(keep.as)}`,
          `if [ -e "$o" ]; then echo original-kept; elif [ -f ${p} ] && grep -qF ${shellQuote(keep.marker)} ${p}; then echo original-ours; elif [ -f ${p} ]; then cp -p ${p} "$o" && echo original-saved || exit 13; else echo original-none; fi`,
        ]
      : []),
    `if [ -f ${p} ] && [ "$(stat -c '%a %U %G' ${p})" = ${shellQuote(`${mode} ${owner} ${group}`)} ] && cmp -s "$tmp" ${p}; then placed=unchanged`,
    `else chown ${owner}:${group} "$tmp" && chmod ${mode} "$tmp" && mv -f "$tmp" ${p} || exit 14; placed=changed; fi`,
    `echo "$placed"`,
  ].join("\n");
}

const PLACEMENT_FAILURES: Record<number, string> = {
  10: "cannot create a temporary file in the target's directory",
  11: "cannot write the temporary file",
  12: "the content arrived damaged",
  13: "cannot keep a copy of the original",
  14: "cannot set owner/mode or rename into place",
};

/** What a non-zero exit of remoteFileScript means, and what to do (also for scripts that append to it). */
export function placementFailure(spec: RemoteFileSpec, r: { code: number | null; signal?: string | null; stderr: string }): { what: string; hint: string } {
  const why = (r.code !== null && PLACEMENT_FAILURES[r.code]) || `exit ${r.code ?? `signal ${r.signal ?? "?"}`}`;
  return {
    what: `placing ${spec.path} failed: ${why}${r.stderr.trim() ? `: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}` : ""}`,
    hint: r.code === 12 || r.code === null ? "re-run provisioning (nothing was replaced)" : `check that ${path.posix.dirname(spec.path)} is on a writable filesystem with free space, and that ${spec.owner ?? "root"} exists on the host`,
  };
}

export async function ensureRemoteFile(session: SshSession, spec: RemoteFileSpec, step: string): Promise<RemoteFileResult> {
  let script: string;
  try {
    script = remoteFileScript(spec);
  } catch (e) {
    throw session.error("invalid-input", step, (e as Error).message, "this is a kumolab bug: report it with the command you ran");
  }
  const r = await session.exec(script, { sudo: true, step, stdin: spec.content, timeoutMs: 30_000 });
  if (r.code !== 0) {
    const f = placementFailure(spec, r);
    throw session.error(r.code === null ? "connect" : "upload", step, f.what, f.hint);
  }
  return parsePlacement(session, spec, step, r.stdout);
}

/** Reads the script's report (the lines before anything a caller appended). */
export function parsePlacement(session: SshSession, spec: RemoteFileSpec, step: string, stdout: string): RemoteFileResult {
  const out = stdout.split("\n").map((l) => l.trim());
  const placed = out.find((l) => l === "changed" || l === "unchanged");
  const originalLine = out.find((l) => l.startsWith("original-"));
  const original = originalLine === undefined ? undefined : originalStateSchema.safeParse(originalLine.slice("original-".length));
  if (placed === undefined || (spec.keepOriginal !== undefined && !original?.success)) {
    throw session.error("exit-status", step, `unexpected output placing ${spec.path}: ${stdout.trim().slice(0, 200)}`, "run the step again; if it persists, report it");
  }
  return { changed: placed === "changed", ...(original?.success ? { original: original.data } : {}) };
}
