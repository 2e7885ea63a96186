/**
 * SIGINT/SIGTERM during a long run. The first signal asks everything to stop (the returned
 * `signal` aborts) so the run can write what it has and tear down; the second exits at once,
 * saying what is left.
 *
 * Pulumi: a terminal's Ctrl-C reaches the whole foreground process group, so the Pulumi CLI child
 * already got it and is cancelling gracefully; sending it another SIGINT (which is what the
 * Automation API's abort signal does) would kill it mid-operation. So `pulumiSignal` aborts only
 * when the CLI cannot have seen the interrupt itself: on SIGTERM, or a SIGINT when we have no
 * terminal (sent to our process alone, e.g. by `kill -INT`).
 */
export interface InterruptState {
  /** Aborts on the first SIGINT/SIGTERM: stop trials, skip to teardown. */
  signal: AbortSignal;
  /** Aborts only when the Pulumi CLI child did not receive the interrupt itself. */
  pulumiSignal: AbortSignal;
  /** How the run was interrupted, if it was. */
  reason(): string | undefined;
  /** Removes the handlers (at the end of the run). */
  dispose(): void;
}

export interface InterruptOptions {
  /** Printed on the first signal. */
  onFirst: (reason: string) => void;
  /** Called on the second signal; should print what is left. The process then exits with 130. */
  onSecond: () => void;
  /** Whether Ctrl-C comes from a terminal that also signals our children. */
  terminal?: boolean;
  exit?: (code: number) => void;
  proc?: Pick<NodeJS.Process, "on" | "off">;
}

export function installInterrupts(opts: InterruptOptions): InterruptState {
  const proc = opts.proc ?? process;
  const terminal = opts.terminal ?? Boolean(process.stdin.isTTY);
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const main = new AbortController();
  const pulumi = new AbortController();
  let count = 0;
  let why: string | undefined;

  const handler = (sig: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      why = `${sig} received`;
      main.abort(new Error(why));
      if (sig === "SIGTERM" || !terminal) pulumi.abort(new Error(why));
      opts.onFirst(why);
      return;
    }
    opts.onSecond();
    exit(130);
  };
  proc.on("SIGINT", handler);
  proc.on("SIGTERM", handler);
  return {
    signal: main.signal,
    pulumiSignal: pulumi.signal,
    reason: () => why,
    dispose: () => {
      proc.off("SIGINT", handler);
      proc.off("SIGTERM", handler);
    },
  };
}

/** Sleeps `ms` unless `signal` aborts first (then rejects with the abort reason). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
