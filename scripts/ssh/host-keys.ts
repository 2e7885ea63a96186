/**
 * Host keys: parsing pinned OpenSSH public keys, fingerprints as `ssh-keygen -lf` prints them,
 * and the known_hosts file used by inventory hosts that opted in to record-on-first-use.
 */
import { createHash, createHmac } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface ParsedPublicKey {
  /** e.g. `ssh-ed25519` */
  type: string;
  /** The raw key blob (what the server sends during key exchange). */
  blob: Buffer;
}

/**
 * Parses `ssh-ed25519 AAAA… [comment]`. Checks that the blob's embedded type matches the
 * declared one, so a truncated or pasted-wrong key is caught here rather than as a "mismatch".
 */
export function parseOpenSshPublicKey(text: string): ParsedPublicKey {
  const parts = text.trim().split(/\s+/);
  const [type, b64] = parts;
  if (!type || !b64 || !/^(ssh-[a-z0-9-]+|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+)$/.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new Error(`not an OpenSSH public key (expected "ssh-ed25519 AAAA…"): ${JSON.stringify(text.slice(0, 40))}`);
  }
  const blob = Buffer.from(b64, "base64");
  const embedded = embeddedKeyType(blob);
  if (embedded !== type) throw new Error(`OpenSSH public key says ${type} but its data holds ${embedded ?? "no valid key type"}; is it truncated?`);
  return { type, blob };
}

/** The key type string at the start of a key blob (uint32 length + name), if well-formed. */
export function embeddedKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined;
  return blob.subarray(4, 4 + len).toString("latin1");
}

/** `SHA256:…` (base64, no padding), as `ssh-keygen -lf` shows it. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key as an OpenSSH public key line (`type base64`). */
export function formatOpenSshPublicKey(blob: Buffer): string {
  return `${embeddedKeyType(blob) ?? "unknown"} ${blob.toString("base64")}`;
}

/** The host pattern known_hosts uses: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function hostPatternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    // Hashed entry (HashKnownHosts yes): |1|base64(salt)|base64(HMAC-SHA1(salt, name))
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  return pattern.split(",").some((p) => p === name);
}

/** Keys recorded for `host:port` in a known_hosts file (empty when the file or entry is absent). */
export function knownHostKeys(file: string, host: string, port: number): ParsedPublicKey[] {
  if (!existsSync(file)) return [];
  const name = knownHostsName(host, port);
  const keys: ParsedPublicKey[] = [];
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("@")) continue; // @revoked/@cert-authority: not ours to honour
    const [pattern, type, b64] = line.split(/\s+/);
    if (!pattern || !type || !b64 || !hostPatternMatches(pattern, name)) continue;
    keys.push(parseOpenSshPublicKey(`${type} ${b64}`));
  }
  return keys;
}

/** Appends a recorded key (creating the file and its directory, mode 600/700). */
export function recordKnownHost(file: string, host: string, port: number, blob: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${knownHostsName(host, port)} ${formatOpenSshPublicKey(blob)}\n`, { mode: 0o600 });
}
