/**
 * Idempotent file placement: compare the remote file's content hash, mode and owner with what we
 * want, and upload (atomically) only when something differs.
 */
import { createHash } from "node:crypto";
import type { SshSession } from "../ssh/session";
import { shellQuote } from "../ssh/shell-quote";

export interface RemoteFileSpec {
  path: string;
  content: string;
  mode: number;
  owner?: string;
  group?: string;
}

export async function ensureRemoteFile(session: SshSession, spec: RemoteFileSpec, step: string): Promise<{ changed: boolean }> {
  const owner = spec.owner ?? "root";
  const group = spec.group ?? owner;
  const p = shellQuote(spec.path);
  const r = await session.execOk(`if [ -f ${p} ]; then stat -c '%a %U %G' ${p} && sha256sum < ${p}; else echo missing; fi`, { sudo: true, step, timeoutMs: 20_000 });
  const want = `${spec.mode.toString(8)} ${owner} ${group}\n${createHash("sha256").update(spec.content).digest("hex")}`;
  const have = r.stdout
    .trim()
    .split("\n")
    .map((l) => l.replace(/\s+-$/, "").trim())
    .join("\n");
  if (have === want) return { changed: false };
  await session.upload(spec.content, spec.path, { mode: spec.mode, owner, group, step });
  return { changed: true };
}
