/**
 * One SSH connection to one lab host, on ssh2, reused for every step of provisioning and trials.
 *
 * - connect: bounded retries with exponential backoff inside a deadline (a VM still booting refuses,
 *   resets or times out); authentication failures and host-key mismatches are never retried.
 * - host key: verified against the pinned OpenSSH key, or recorded on first use when an inventory
 *   host explicitly opted in (reported through progress, never silent).
 * - exec: timeout (kills and closes the channel), exit code/signal, stdout/stderr captured and
 *   streamed, optional stdin (files travel that way: see provision/remote-file.ts), sudo when the
 *   login user is not root.
 */
import { readFileSync } from "node:fs";
import { privateKeyFileProblem } from "./private-key-file";
import { StringDecoder } from "node:string_decoder";
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import type { LabHost } from "../hosts/lab-hosts";
import { silentProgress, type ProgressSink } from "../progress/events";
import { LabHostError } from "./errors";
import { fingerprintSha256, knownHostKeys, parseOpenSshPublicKey, recordKnownHost, type ParsedPublicKey } from "./host-keys";
import { sudoWrap, toCommandLine } from "./shell-quote";

export interface SshSessionOptions {
  /** Give up connecting after this long (the whole retry loop). */
  connectDeadlineMs: number;
  /** And after this many attempts, whichever comes first. */
  maxConnectAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Per-attempt handshake timeout (capped by what is left of the deadline). */
  attemptTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Timeout of a command when the caller gives none. */
  defaultCommandTimeoutMs: number;
  progress: ProgressSink;
}

export const DEFAULT_SSH_OPTIONS: SshSessionOptions = {
  connectDeadlineMs: 300_000,
  maxConnectAttempts: 60,
  initialBackoffMs: 250,
  maxBackoffMs: 5_000,
  attemptTimeoutMs: 20_000,
  keepaliveIntervalMs: 10_000,
  keepaliveCountMax: 3,
  defaultCommandTimeoutMs: 120_000,
  progress: silentProgress,
};

export interface ExecOptions {
  timeoutMs?: number;
  /** Run as root (`sudo -n --`) when the login user is not root. */
  sudo?: boolean;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  stdin?: string | Buffer;
  /** Named in errors, e.g. `install port-25 table`. */
  step?: string;
  /** Captured output beyond this many bytes per stream keeps only the tail. */
  maxCaptureBytes?: number;
  /**
   * Aborting ends the command's stdin, then closes the channel (a command that ignores both dies
   * on its next write); the result has what was captured. Without `stdin`, an abortable command's
   * stdin stays open until then, so a remote loop can sleep on it (`read -t N -u 0`) and stop at
   * its end.
   */
  signal?: AbortSignal;
}

export interface ExecResult {
  /** null when the command died of a signal or the connection dropped. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "EPIPE", "EAI_AGAIN"]);
const RETRYABLE_MESSAGES = [/timed out while waiting for handshake/i, /connection lost before handshake/i, /socket hang up/i, /kex_exchange_identification/i];

interface ErrorWithLevel extends Error {
  level?: string;
  code?: string;
}

function isRetryable(e: ErrorWithLevel): boolean {
  if (e.level === "client-authentication") return false;
  if (e.code !== undefined && RETRYABLE_CODES.has(e.code)) return true;
  if (e.level === "client-timeout") return true;
  return RETRYABLE_MESSAGES.some((re) => re.test(e.message));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SshSession {
  private client: Client | undefined;
  private readonly opts: SshSessionOptions;
  /** Set by a failed host-key check during the current attempt. */
  private mismatch: { expected: string; received: string } | undefined;
  private closed = false;
  /** Whether commands need sudo to act as root (the login user is not root). */
  readonly needsSudo: boolean;

  constructor(
    readonly host: LabHost,
    opts: Partial<SshSessionOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SSH_OPTIONS, ...opts };
    this.needsSudo = host.user !== "root";
  }

  /** The host's name as shown in progress and errors. */
  get name(): string {
    return this.host.name;
  }

  /** Opens the connection (retrying while the host boots). Safe to call again once connected. */
  async connect(): Promise<void> {
    if (this.client) return;
    if (this.closed) throw this.error("connect", "connect", "the session was closed", "open a new SshSession");
    const privateKey = this.readPrivateKey();
    const pinned = this.pinnedKeys();
    const started = Date.now();
    const deadline = started + this.opts.connectDeadlineMs;
    let backoff = this.opts.initialBackoffMs;
    let lastError: ErrorWithLevel | undefined;
    for (let attempt = 1; attempt <= this.opts.maxConnectAttempts; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      this.mismatch = undefined;
      try {
        const { client, receivedKey } = await this.attempt(privateKey, pinned, Math.min(this.opts.attemptTimeoutMs, left));
        this.client = client;
        if (pinned.kind === "record" && pinned.keys.length === 0 && receivedKey) this.recordFirstUse(pinned.file, receivedKey);
        return;
      } catch (e) {
        const err = e as ErrorWithLevel;
        if (this.mismatch) throw this.mismatchError(this.mismatch, pinned);
        if (err.level === "client-authentication") {
          throw this.error("auth", "connect", `authentication as ${this.host.user} failed (${err.message})`, `check that the private key for ${this.host.name} is authorised for user ${this.host.user} (~${this.host.user}/.ssh/authorized_keys) and that its passphrase, if any, is set`);
        }
        if (!isRetryable(err)) {
          throw this.error("connect", "connect", `cannot connect to ${this.host.address}:${this.host.port}: ${err.message}`, "this error is not one a booting host produces, so it was not retried; check the address, port and sshd on the host", err);
        }
        lastError = err;
        const wait = Math.min(backoff, deadline - Date.now());
        if (wait <= 0 || attempt === this.opts.maxConnectAttempts) break;
        // A countdown: how long this will go on, not only that it goes on.
        const remaining = Math.max(0, Math.round((deadline - Date.now()) / 1000));
        this.opts.progress({ type: "log", host: this.host.name, level: "info", message: `ssh attempt ${attempt} failed (${err.code ?? err.message}); retrying in ${(wait / 1000).toFixed(1)} s — giving up in ${remaining} s` });
        await sleep(wait);
        backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
      }
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    throw this.error(
      "connect",
      "connect",
      `no SSH connection to ${this.host.address}:${this.host.port} after ${secs} s (bound ${Math.round(this.opts.connectDeadlineMs / 1000)} s / ${this.opts.maxConnectAttempts} attempts); last error: ${lastError?.code ?? lastError?.message ?? "none"}`,
      `check that the host is up and sshd listens on port ${this.host.port}, and that a firewall lets you in; if it is still booting, allow longer (ssh.connectDeadlineSeconds for the sweep, --connect-deadline for 'npm run lab')`,
      lastError,
    );
  }

  private readPrivateKey(): { privateKey: string; passphrase?: string } {
    const c = this.host.credentials;
    if (c.kind === "private-key") return c.passphrase === undefined ? { privateKey: c.privateKey } : { privateKey: c.privateKey, passphrase: c.passphrase };
    const problem = privateKeyFileProblem(c.path);
    if (problem) throw this.error("auth", "connect", problem, "fix privateKeyPath in the hosts inventory");
    try {
      const privateKey = readFileSync(c.path, "utf8");
      return c.passphrase === undefined ? { privateKey } : { privateKey, passphrase: c.passphrase };
    } catch (e) {
      throw this.error("auth", "connect", `cannot read the private key file ${c.path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, "fix privateKeyPath in the hosts inventory");
    }
  }

  private pinnedKeys(): { kind: "pinned"; keys: ParsedPublicKey[] } | { kind: "record"; file: string; keys: ParsedPublicKey[] } {
    const policy = this.host.hostKey;
    try {
      if (policy.kind === "pinned") return { kind: "pinned", keys: [parseOpenSshPublicKey(policy.publicKey)] };
      return { kind: "record", file: policy.knownHostsFile, keys: knownHostKeys(policy.knownHostsFile, this.host.address, this.host.port) };
    } catch (e) {
      throw this.error("invalid-input", "connect", `the pinned host key is unusable: ${(e as Error).message}`, "fix the host key in the inventory or stack outputs");
    }
  }

  private attempt(key: { privateKey: string; passphrase?: string }, pinned: { keys: ParsedPublicKey[] }, timeoutMs: number): Promise<{ client: Client; receivedKey: Buffer | undefined }> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let receivedKey: Buffer | undefined;
      let settled = false;
      const config: ConnectConfig = {
        host: this.host.address,
        port: this.host.port,
        username: this.host.user,
        ...key,
        readyTimeout: timeoutMs,
        keepaliveInterval: this.opts.keepaliveIntervalMs,
        keepaliveCountMax: this.opts.keepaliveCountMax,
        hostVerifier: (blob: Buffer): boolean => {
          receivedKey = Buffer.from(blob);
          // No recorded key yet (record-on-first-use): accepted, recorded once the session is up.
          if (pinned.keys.length === 0) return true;
          if (pinned.keys.some((k) => k.blob.equals(blob))) return true;
          this.mismatch = { expected: pinned.keys.map((k) => fingerprintSha256(k.blob)).join(" or "), received: fingerprintSha256(blob) };
          return false;
        },
      };
      // Every command (and the handshake) is a few small packets each way: with Nagle's algorithm
      // on, each exchange can wait out the host's delayed ACK (~40 ms on Linux).
      client.once("connect", () => client.setNoDelay(true));
      client.once("ready", () => {
        settled = true;
        client.on("error", (e: Error) => this.opts.progress({ type: "log", host: this.host.name, level: "warn", message: `ssh connection error: ${e.message}` }));
        client.once("close", () => {
          if (this.client === client) {
            this.client = undefined;
          }
        });
        resolve({ client, receivedKey });
      });
      client.once("error", (e: Error) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(e);
      });
      client.once("close", () => {
        if (settled) return;
        settled = true;
        reject(Object.assign(new Error("connection lost before handshake"), { level: "client-socket" }));
      });
      client.connect(config);
    });
  }

  private recordFirstUse(file: string, blob: Buffer): void {
    recordKnownHost(file, this.host.address, this.host.port, blob);
    this.opts.progress({
      type: "log",
      host: this.host.name,
      level: "warn",
      message: `recorded host key ${fingerprintSha256(blob)} for ${this.host.address}:${this.host.port} in ${file} (first use, as the inventory allows); compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the host`,
    });
  }

  private mismatchError(m: { expected: string; received: string }, pinned: { kind: string }): LabHostError {
    const where = pinned.kind === "pinned" ? "the pinned key (stack outputs or inventory hostKey)" : `the recorded key in ${(this.host.hostKey as { knownHostsFile?: string }).knownHostsFile ?? "known_hosts"}`;
    return this.error(
      "host-key-mismatch",
      "connect",
      `host key mismatch for ${this.host.address}:${this.host.port}: expected ${m.expected}, received ${m.received}; connection refused`,
      `if the host was rebuilt, update ${where} with its new key (check it on the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); otherwise someone may be intercepting the connection — do not continue`,
    );
  }

  private requireClient(step: string): Client {
    if (!this.client) throw this.error("connect", step, "not connected (the connection was closed or dropped)", "call connect() again");
    return this.client;
  }

  /** Runs a command; never throws for a non-zero exit (see execOk). */
  exec(command: string | readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const line = toCommandLine(command);
    const full = opts.sudo && this.needsSudo ? sudoWrap(line) : line;
    const step = opts.step ?? "exec";
    const timeoutMs = opts.timeoutMs ?? this.opts.defaultCommandTimeoutMs;
    const maxBytes = opts.maxCaptureBytes ?? 16 * 1024 * 1024;
    const client = this.requireClient(step);
    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(() => {
        finish(() => {
          if (channel) {
            // Ask sshd to kill the command, then drop the channel either way.
            try {
              channel.signal("KILL");
            } catch {
              /* the channel may already be closing; close() below is what matters */
            }
            channel.close();
          }
          reject(this.error("timeout", step, `timed out after ${timeoutMs} ms; the channel was closed`, "the host may be overloaded or the command stuck; look at the host, or raise the timeout", undefined, line));
        });
      }, timeoutMs);
      client.exec(full, (err, ch) => {
        if (err) {
          finish(() => reject(this.error("exit-status", step, `cannot start the command: ${err.message}`, "the SSH connection may have dropped; re-run", err, line)));
          return;
        }
        channel = ch;
        const out = new Capture(maxBytes);
        const errOut = new Capture(maxBytes);
        const outDec = new StringDecoder("utf8");
        const errDec = new StringDecoder("utf8");
        let code: number | null = null;
        let signal: string | null = null;
        ch.on("data", (d: Buffer) => {
          out.push(d);
          opts.onStdout?.(outDec.write(d));
        });
        ch.stderr.on("data", (d: Buffer) => {
          errOut.push(d);
          opts.onStderr?.(errDec.write(d));
        });
        ch.on("exit", (c: number | null, sig?: string) => {
          code = typeof c === "number" ? c : null;
          signal = sig ?? null;
        });
        // End of stdin first: a loop that waits on it (`read -t N -u 0`) stops at once, where the
        // closed channel alone stops it only at its next write (a 1 s sampler: up to a second).
        const onAbort = () => {
          ch.end();
          ch.close();
        };
        if (opts.signal?.aborted) onAbort();
        else opts.signal?.addEventListener("abort", onAbort, { once: true });
        ch.on("close", () => {
          opts.signal?.removeEventListener("abort", onAbort);
          finish(() => resolve({ code, signal, stdout: out.text(), stderr: errOut.text() }));
        });
        // An abortable command keeps its stdin open until it is aborted (see onAbort).
        if (opts.stdin !== undefined) ch.end(opts.stdin);
        else if (!opts.signal) ch.end();
      });
    });
  }

  /** Runs a command and throws a LabHostError (with the tail of stderr) unless it exits 0. */
  async execOk(command: string | readonly string[], opts: ExecOptions & { hint?: string } = {}): Promise<ExecResult> {
    const r = await this.exec(command, opts);
    if (r.code !== 0) {
      const tail = tailLines(r.stderr || r.stdout, 15);
      const status = r.code === null ? (r.signal ? `killed by ${r.signal}` : "no exit status (connection dropped?)") : `exit ${r.code}`;
      throw this.error("exit-status", opts.step ?? "exec", `${status}${tail ? `:\n${indent(tail)}` : ""}`, opts.hint ?? "see the output above; fix the cause on the host and re-run (every step is idempotent)", undefined, toCommandLine(command));
    }
    return r;
  }

  /** Closes the connection. Idempotent. */
  close(): void {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    c?.end();
  }

  error(kind: LabHostError["kind"], step: string, what: string, hint: string, cause?: unknown, command?: string): LabHostError {
    return new LabHostError(command === undefined ? { kind, host: this.host.name, step, what, hint, cause } : { kind, host: this.host.name, step, what, hint, cause, command });
  }
}

/** Keeps the output of a command, or only its tail when it grows past `max` bytes. */
class Capture {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.max && this.chunks.length > 1) {
      const first = this.chunks.shift() as Buffer;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }
  text(): string {
    const body = Buffer.concat(this.chunks).toString("utf8");
    return this.dropped > 0 ? `[… ${this.dropped} bytes dropped …]\n${body}` : body;
  }
}

export function tailLines(text: string, n: number): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}
