/** SIGINT/SIGTERM handling with a fake process: what aborts on the first signal, the second exits. */
import { EventEmitter } from "node:events";
import { describe, expect, test } from "vitest";
import { abortableSleep, installInterrupts } from "../../scripts/sweep/interrupts";

function setup(terminal: boolean) {
  const proc = new EventEmitter();
  const log: string[] = [];
  const exits: number[] = [];
  const state = installInterrupts({
    terminal,
    proc: proc as unknown as Pick<NodeJS.Process, "on" | "off">,
    exit: (code) => void exits.push(code),
    onFirst: (reason) => void log.push(`first: ${reason}`),
    onSecond: () => void log.push("second"),
  });
  return { proc, log, exits, state };
}

describe("installInterrupts", () => {
  test("terminal: the first Ctrl-C stops the sweep but not the Pulumi CLI (it got the Ctrl-C itself)", () => {
    const { proc, log, exits, state } = setup(true);
    expect(state.signal.aborted).toBe(false);
    proc.emit("SIGINT", "SIGINT");
    expect(state.signal.aborted).toBe(true);
    expect(state.pulumiSignal.aborted).toBe(false);
    expect(state.reason()).toBe("SIGINT received");
    expect(log).toEqual(["first: SIGINT received"]);
    expect(exits).toEqual([]);
    state.dispose();
  });

  test("terminal: SIGTERM aborts the Pulumi operation too", () => {
    const { proc, state } = setup(true);
    proc.emit("SIGTERM", "SIGTERM");
    expect(state.signal.aborted).toBe(true);
    expect(state.pulumiSignal.aborted).toBe(true);
    expect(state.reason()).toBe("SIGTERM received");
    state.dispose();
  });

  test("no terminal: SIGINT (sent to us alone) aborts both", () => {
    const { proc, state } = setup(false);
    proc.emit("SIGINT", "SIGINT");
    expect(state.signal.aborted).toBe(true);
    expect(state.pulumiSignal.aborted).toBe(true);
    state.dispose();
  });

  test("the second signal calls onSecond and exits with 130", () => {
    const { proc, log, exits, state } = setup(true);
    proc.emit("SIGINT", "SIGINT");
    proc.emit("SIGINT", "SIGINT");
    expect(log).toEqual(["first: SIGINT received", "second"]);
    expect(exits).toEqual([130]);
    // The second Ctrl-C is not forwarded to the CLI either.
    expect(state.pulumiSignal.aborted).toBe(false);
    state.dispose();
  });

  test("dispose removes both handlers", () => {
    const { proc, log, state } = setup(true);
    expect(proc.listenerCount("SIGINT")).toBe(1);
    expect(proc.listenerCount("SIGTERM")).toBe(1);
    state.dispose();
    expect(proc.listenerCount("SIGINT")).toBe(0);
    expect(proc.listenerCount("SIGTERM")).toBe(0);
    expect(state.signal.aborted).toBe(false);
    expect(log).toEqual([]);
  });
});

describe("abortableSleep", () => {
  test("resolves after the time", async () => {
    await expect(abortableSleep(5, new AbortController().signal)).resolves.toBeUndefined();
  });

  test("rejects with the abort reason when aborted during the sleep (long before the time)", async () => {
    const ac = new AbortController();
    const sleeping = abortableSleep(60_000, ac.signal);
    setTimeout(() => ac.abort(new Error("SIGINT received")), 5);
    // Would take a minute if the abort were ignored; the test timeout catches that.
    await expect(sleeping).rejects.toThrow("SIGINT received");
  }, 5_000);

  test("rejects at once on an already aborted signal", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(abortableSleep(60_000, ac.signal)).rejects.toThrow();
  }, 5_000);
});
