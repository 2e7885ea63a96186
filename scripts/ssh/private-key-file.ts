/** A private key file as OpenSSH would judge it, checked before it is used. */
import { readFileSync, statSync, type Stats } from "node:fs";

/**
 * What is wrong with a private key file: missing, not a file, readable by others (ssh refuses such a
 * key: "UNPROTECTED PRIVATE KEY FILE"), or a public key given by mistake. Undefined when usable.
 */
export function privateKeyFileProblem(p: string): string | undefined {
  let st: Stats;
  try {
    st = statSync(p);
  } catch (e) {
    return `${p} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"}): give the private key that logs in to this host`;
  }
  if (!st.isFile()) return `${p} is not a file`;
  if ((st.mode & 0o077) !== 0) return `${p} can be read by others (mode ${(st.mode & 0o777).toString(8)}): ssh refuses such a key; run chmod 600 ${p}`;
  const head = readFileSync(p, "utf8").slice(0, 200);
  if (/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-)/.test(head)) return `${p} holds a public key: give the private key file (usually the same path without .pub)`;
  return undefined;
}
