/**
 * The one error type of remote work: it always names the host, the step (or command) that failed,
 * and what a person should do next. Never carries secrets (keys, passphrases).
 */
export type LabHostErrorKind =
  | "connect"
  | "auth"
  | "host-key-mismatch"
  | "timeout"
  | "exit-status"
  | "upload"
  | "not-installed"
  | "port25-open"
  | "not-ready"
  | "invalid-input";

export class LabHostError extends Error {
  readonly host: string;
  readonly step: string;
  readonly command: string | undefined;
  readonly hint: string;
  readonly kind: LabHostErrorKind;

  constructor(opts: { kind: LabHostErrorKind; host: string; step: string; command?: string; what: string; hint: string; cause?: unknown }) {
    const where = opts.command ? `${opts.step} (command: ${shorten(opts.command)})` : opts.step;
    super(`${opts.host}: ${where}: ${opts.what}\n  → ${opts.hint}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "LabHostError";
    this.host = opts.host;
    this.step = opts.step;
    this.command = opts.command;
    this.hint = opts.hint;
    this.kind = opts.kind;
  }
}

/** Long generated scripts are cut in messages: the first line says which one it was. */
function shorten(command: string): string {
  const oneLine = command.replace(/\s+/g, " ").trim();
  return oneLine.length > 160 ? `${oneLine.slice(0, 157)}…` : oneLine;
}
