/**
 * A workload's `bodyFile`: a whole RFC 5322 message on the operator's machine, copied to the sender
 * (scripts/provision/remote-file.ts: checked by SHA-256, replaced atomically, idempotent) where
 * traffic-gen reads it with `--body-file`.
 *
 * traffic-gen reads the file with `std::fs::read_to_string` and canonicalises its line endings to
 * CRLF (crates/traffic-gen/src/main.rs, `load_body_file`): a file that is not UTF-8 makes it exit
 * before sending anything, so such a file is refused here, on the operator's machine, instead.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { PROJECT_DIR } from "../../lab-config/load";
import { WORKLOAD_NAME } from "../../lab-config/workloads";
import type { LabConfig } from "../../lab-config/schema";
import type { ResolvedWorkload } from "../../lab-config/workloads";
import type { ProgressSink } from "../progress/events";
import type { SshSession } from "../ssh/session";
import { hostStep } from "./host-step";
import { LAB_ETC_DIR } from "./lab-endpoints";
import { ensureRemoteFile } from "./remote-file";

/** Where the sender keeps the workloads' body files. */
export const BODY_FILE_DIR = `${LAB_ETC_DIR}/bodies`;
/** Larger than any message a sink would take (and every trial sends it once per message). */
export const BODY_FILE_MAX_BYTES = 64 * 1024 * 1024;

/** The body file's path on the sender: one per workload, so switching workloads never reads another's. */
export function remoteBodyFilePath(workload: string): string {
  if (!WORKLOAD_NAME.test(workload)) throw new Error(`not a workload name: ${JSON.stringify(workload)}`);
  return `${BODY_FILE_DIR}/${workload}.eml`;
}

/** The operator's file as given in the lab config: absolute, or relative to the project folder (where `npm run` runs). */
export function localBodyFilePath(bodyFile: string, baseDir = PROJECT_DIR): string {
  return path.resolve(baseDir, bodyFile);
}

/** Reads and checks the workload's body file; every error says which file, why, and what to do. */
export function readBodyFile(workload: string, bodyFile: string, baseDir = PROJECT_DIR): { localPath: string; content: string; bytes: number } {
  const localPath = localBodyFilePath(bodyFile, baseDir);
  const where = `workload '${workload}': traffic.bodyFile ${localPath}${path.isAbsolute(bodyFile) ? "" : ` ('${bodyFile}' from ${baseDir})`}`;
  let size: number;
  try {
    const st = statSync(localPath);
    if (!st.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTFILE" });
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${where} ${code === "ENOENT" ? "does not exist" : code === "ENOTFILE" ? "is not a regular file" : `cannot be read (${code ?? (e as Error).message})`}: fix the path in lab-config/lab.yaml (workloads.list) — relative paths are from ${baseDir}`);
  }
  if (size === 0) throw new Error(`${where} is empty: traffic-gen would send empty messages; give it a whole RFC 5322 message (headers, a blank line, a body)`);
  if (size > BODY_FILE_MAX_BYTES) throw new Error(`${where} is ${size} bytes, over the ${BODY_FILE_MAX_BYTES} bytes kumolab copies to the sender; use a smaller message`);
  const raw = readFileSync(localPath);
  let content: string;
  try {
    content = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new Error(`${where} is not UTF-8 text: traffic-gen reads it with read_to_string and would exit before sending; re-encode it (e.g. iconv -t UTF-8) or encode 8-bit parts with quoted-printable/base64`);
  }
  return { localPath, content, bytes: raw.length };
}

/** The bytes traffic-gen sends per message for this content: its line endings made CRLF, as load_body_file does. */
export function bodyFileMessageBytes(content: string): number {
  return Buffer.byteLength(content.replaceAll("\r\n", "\n").replaceAll("\n", "\r\n"), "utf8");
}

/** Every body file the named workloads send, read and checked now: the errors, one per bad file (empty = all good). */
export function checkBodyFiles(cfg: Pick<LabConfig, "workloads">, names: readonly string[], baseDir = PROJECT_DIR): string[] {
  const errors: string[] = [];
  for (const w of cfg.workloads.list.filter((x) => names.includes(x.name))) {
    const f = w.traffic.bodyFile;
    if (f === undefined) continue;
    try {
      readBodyFile(w.name, f, baseDir);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return errors;
}

/**
 * The provisioning step that copies a workload's body file to where traffic-gen reads it on `host`
 * (the sender, or the generator host when traffic-gen runs there). Read and checked on this machine
 * first: a bad path stops here, saying what to fix. Nothing without a body file.
 */
export async function pushBodyFileStep(
  progress: ProgressSink,
  host: string,
  session: SshSession,
  changes: Record<string, boolean>,
  workload: ResolvedWorkload | undefined,
): Promise<void> {
  const bodyFile = workload?.traffic.bodyFile;
  if (!workload || !bodyFile) return;
  await hostStep(progress, host, "push body file", changes, async () => {
    const body = readBodyFile(workload.name, bodyFile);
    const target = remoteBodyFilePath(workload.name);
    const r = await ensureRemoteFile(session, { path: target, content: body.content, mode: 0o644 }, "push body file");
    return { changed: r.changed, detail: `${body.localPath} → ${target} (${body.bytes} bytes)`, value: undefined };
  });
}
