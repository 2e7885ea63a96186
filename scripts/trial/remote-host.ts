/** What a trial needs from a connected host: run a command with a timeout, streaming, abortable. */
export interface RemoteExecOptions {
  timeoutMs: number;
  sudo?: boolean;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Ends the command's stdin (open until then), then closes the channel: see SshSession's ExecOptions. */
  signal?: AbortSignal;
}

export interface RemoteExecResult {
  code: number | null;
  /** The signal that ended the command, if the host said so. */
  signal?: string | null;
  stdout: string;
  stderr: string;
}

export interface RemoteHost {
  /** Used in errors and progress, e.g. `sender (198.18.4.10)`. */
  readonly name: string;
  exec(command: string, opts: RemoteExecOptions): Promise<RemoteExecResult>;
}
