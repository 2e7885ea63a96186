/**
 * Prefetch in the sweep loop, over a fake two-slot lab: the next size's sender is prepared while
 * the current size is measured, awaited before that size's first trial and swapped in; an interrupt
 * or an error during the standby's build leaves nothing running before the teardown; a standby that
 * fails falls back to resizing the active sender in place, or fails the size clearly.
 */
import { describe, expect, test } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import type { SenderSize } from "../../lab-config/schema";
import type { LabHost, LabHosts } from "../../scripts/hosts/lab-hosts";
import type { LabDriver } from "../../scripts/lab-drivers/lab-driver";
import type { ProgressEvent } from "../../scripts/progress/events";
import { runSweep, trialKey, usesPrefetch, type PreparedLab, type SweepDeps, type SweepOptions, type TrialSpec } from "../../scripts/sweep/run-sweep";

const sizes = loadLabConfig().config.sender.sizes;
const size = (id: string): SenderSize => sizes.find((s) => s.id === id) as SenderSize;
const C2 = size("c2-r4");
const C4 = size("c4-r16");
const C8 = size("c8-r32");

/** Addresses of the two slots; the sink admits both from the start. */
const SLOT_ADDRESS = { a: "198.18.0.10", b: "198.18.0.11" } as const;
type Slot = keyof typeof SLOT_ADDRESS;

function hostsOf(active: Slot): LabHosts {
  const host = (role: "sender" | "sink", address: string, slot?: Slot): LabHost => ({
    role,
    name: `${role}${slot ? ` ${slot}` : ""} (${address})`,
    address,
    port: 22,
    user: "kumo",
    hostKey: { kind: "pinned", publicKey: "ssh-ed25519 AAAA" },
    credentials: { kind: "private-key-file", path: "/dev/null" },
    ...(slot ? { slot } : {}),
  });
  const other: Slot = active === "a" ? "b" : "a";
  return {
    labId: "lab",
    sender: host("sender", SLOT_ADDRESS[active], active),
    sink: host("sink", "198.18.0.20"),
    sinkAddressFromSender: "198.18.0.20",
    sinkPort: 2525,
    alsoAdmitFromSink: [SLOT_ADDRESS[other]],
    cloudFirewalls: [],
  };
}

/** A promise the test resolves by hand (a causal trigger instead of a timing). */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

interface Script {
  /** Holds the standby's build of `sizeId` until the returned promise resolves. */
  holdBuild?: (sizeId: string) => Promise<void> | undefined;
  buildError?: (sizeId: string) => Error | undefined;
  provisionError?: (sizeId: string) => Error | undefined;
  ensureError?: (sizeId: string) => Error | undefined;
  trialError?: (spec: TrialSpec) => string | undefined;
  onTrial?: (spec: TrialSpec, ctl: { interrupt: () => void }) => void;
}

interface Lab extends PreparedLab {
  slot: Slot | undefined;
}

function world(script: Script, ctl: { interrupt: () => void }) {
  const log: string[] = [];
  /** Which slot each (size, trial) ran on. */
  const ranOn = new Map<string, string>();
  const slotSize: Record<Slot, string | undefined> = { a: undefined, b: undefined };
  let active: Slot = "a";
  const other = (): Slot => (active === "a" ? "b" : "a");
  const running = new Set<string>();

  const driver: LabDriver = {
    description: "fake two-slot lab",
    source: "stack",
    canResize: true,
    async ensureLab(s) {
      log.push(`ensureLab ${s.id} on ${active}`);
      const err = script.ensureError?.(s.id);
      if (err) throw err;
      const change = slotSize[active] === undefined ? "created" : "resized";
      slotSize[active] = s.id;
      return { hosts: hostsOf(active), change };
    },
    async prepareStandby(s, opts) {
      const slot = other();
      log.push(`standby build ${s.id} on ${slot}`);
      running.add(`build ${s.id}`);
      try {
        const hold = script.holdBuild?.(s.id);
        if (hold) {
          // Ends when released, or when its signal aborts (as `pulumi up` does when cancelled).
          await new Promise<void>((resolve, reject) => {
            void hold.then(resolve);
            // A cancelled `pulumi up` takes a while to wind down: the sweep must wait for it.
            opts.signal.addEventListener("abort", () => void setTimeout(() => reject(new Error("pulumi up cancelled")), 50), { once: true });
            if (opts.signal.aborted) reject(new Error("pulumi up cancelled"));
          });
        }
        const err = script.buildError?.(s.id);
        if (err) throw err;
        const change = slotSize[slot] === undefined ? "created" : "resized";
        slotSize[slot] = s.id;
        log.push(`standby built ${s.id}`);
        return { hosts: hostsOf(slot), change };
      } catch (e) {
        log.push(`standby build ended: ${(e as Error).message}`);
        throw e;
      } finally {
        running.delete(`build ${s.id}`);
      }
    },
    async swapStandby() {
      active = other();
      log.push(`swap → ${active}`);
      return hostsOf(active);
    },
    async dropStandby() {
      log.push(`drop ${other()}`);
      slotSize[other()] = undefined;
    },
    async existingLab() {
      return undefined;
    },
    async recover() {
      log.push(`recover (running: ${[...running].join(", ") || "nothing"})`);
    },
    async teardown() {
      log.push(`teardown (running: ${[...running].join(", ") || "nothing"})`);
      return { ok: true, detail: "destroyed" };
    },
  };

  const deps: SweepDeps<Lab> = {
    driver,
    async prepare(hosts) {
      log.push(`prepare ${hosts.sender.slot}`);
      return { hosts, slot: hosts.sender.slot as Slot, close: async () => void log.push(`close ${hosts.sender.slot}`) };
    },
    async prepareStandby(hosts, opts) {
      log.push(`standby provision ${hosts.sender.slot} (${opts.workload})`);
      const err = script.provisionError?.(String(slotSize[hosts.sender.slot as Slot]));
      if (err) throw err;
      return { hosts, slot: hosts.sender.slot as Slot, close: async () => void log.push(`close ${hosts.sender.slot}`) };
    },
    async runTrial(lab, spec) {
      const key = trialKey(spec.sizeId, spec.trial);
      log.push(`trial ${key}`);
      ranOn.set(key, lab.hosts.sender.address);
      script.onTrial?.(spec, ctl);
      const failure = script.trialError?.(spec);
      return failure ? { status: "failed", detail: failure } : { status: "ok", detail: "fine" };
    },
    async recordedTrials() {
      return new Set<string>();
    },
    async timeline(kind, sizeId, detail) {
      log.push(`timeline ${kind}${sizeId ? ` ${sizeId}` : ""}${detail ? ` (${detail})` : ""}`);
    },
  };
  return { log, ranOn, deps };
}

async function sweep(script: Script, over: Partial<SweepOptions> = {}) {
  const main = new AbortController();
  const pulumi = new AbortController();
  // SIGTERM: both signals abort (scripts/sweep/interrupts.ts).
  const w = world(script, { interrupt: () => (main.abort(new Error("SIGTERM received")), pulumi.abort(new Error("SIGTERM received"))) });
  const progress: ProgressEvent[] = [];
  const result = await runSweep(w.deps, {
    sizes: [C2, C4],
    trials: 2,
    coolDownSeconds: 0,
    keep: false,
    failFast: false,
    prefetch: true,
    signal: main.signal,
    pulumiSignal: pulumi.signal,
    progress: (e) => void progress.push(e),
    ...over,
  });
  const messages = progress.flatMap((e) => (e.type === "log" ? [e.message] : []));
  return { ...w, result, messages };
}

const before = (log: string[], a: string, b: string): boolean => log.indexOf(a) >= 0 && log.indexOf(b) >= 0 && log.indexOf(a) < log.indexOf(b);

describe("runSweep with prefetch", () => {
  test("3 sizes: one build, each next size prepared on the other slot during the current size, swapped in, the idle one removed at the end", async () => {
    const { log, ranOn, result } = await sweep({}, { sizes: [C2, C4, C8] });
    expect(result).toMatchObject({ ran: 6, failed: 0, interrupted: false, error: undefined });
    // The lab is built once; every later size comes from the standby slot.
    expect(log.filter((l) => l.startsWith("ensureLab"))).toEqual(["ensureLab c2-r4 on a"]);
    expect(log.filter((l) => l.startsWith("standby build "))).toEqual(["standby build c4-r16 on b", "standby build c8-r32 on a"]);
    // Started after size 1 is provisioned, before its first trial.
    expect(before(log, "prepare a", "standby build c4-r16 on b")).toBe(true);
    expect(before(log, "standby build c4-r16 on b", "trial c2-r4#1")).toBe(true);
    // Swapped only after the size before ended, before the next size's first trial.
    expect(before(log, "trial c2-r4#2", "swap → b")).toBe(true);
    expect(before(log, "swap → b", "trial c4-r16#1")).toBe(true);
    // Each size measured on one sender, alternating slots.
    expect([...ranOn.entries()]).toEqual([
      ["c2-r4#1", SLOT_ADDRESS.a],
      ["c2-r4#2", SLOT_ADDRESS.a],
      ["c4-r16#1", SLOT_ADDRESS.b],
      ["c4-r16#2", SLOT_ADDRESS.b],
      ["c8-r32#1", SLOT_ADDRESS.a],
      ["c8-r32#2", SLOT_ADDRESS.a],
    ]);
    // After the last swap the former sender (slot b) is removed, and the lab destroyed at the end.
    expect(before(log, "swap → a", "drop b")).toBe(true);
    expect(log.filter((l) => l.startsWith("teardown"))).toEqual(["teardown (running: nothing)"]);
  });

  test("a standby still booting when the size ends is awaited: the next size's first trial runs only after it is ready", async () => {
    const boot = gate();
    const { log, result } = await sweep({
      holdBuild: (id) => (id === "c4-r16" ? boot.wait : undefined),
      // The build is released only once the first size's last trial has run.
      onTrial: (spec) => {
        if (spec.sizeId === "c2-r4" && spec.trial === 2) setImmediate(boot.open);
      },
    });
    expect(result.ran).toBe(4);
    expect(before(log, "trial c2-r4#2", "standby built c4-r16")).toBe(true);
    expect(before(log, "standby built c4-r16", "standby provision b (published)")).toBe(true);
    expect(before(log, "standby provision b (published)", "swap → b")).toBe(true);
    expect(before(log, "swap → b", "trial c4-r16#1")).toBe(true);
  });

  test("an interrupt while the standby builds: the build is stopped and over before recovery and the destroy; the next size never runs", async () => {
    const never = gate();
    const { log, result } = await sweep({
      holdBuild: () => never.wait,
      onTrial: (spec, ctl) => {
        if (spec.sizeId === "c2-r4" && spec.trial === 1) ctl.interrupt();
      },
    });
    expect(result.interrupted).toBe(true);
    expect(log).toContain("standby build ended: pulumi up cancelled");
    expect(before(log, "standby build ended: pulumi up cancelled", "recover (running: nothing)")).toBe(true);
    expect(log.filter((l) => l.startsWith("teardown"))).toEqual(["teardown (running: nothing)"]);
    expect(log.some((l) => l.startsWith("trial c4-r16"))).toBe(false);
    expect(log).not.toContain("swap → b");
  });

  test("an error (--fail-fast) while the standby builds stops the build too before the teardown", async () => {
    const never = gate();
    const { log, result } = await sweep({ holdBuild: () => never.wait, trialError: (s) => (s.trial === 1 ? "traffic-gen exited 1" : undefined) }, { failFast: true });
    expect(result.error?.message).toMatch(/trial 1 of size c2-r4 failed and --fail-fast is set/);
    expect(before(log, "standby build ended: pulumi up cancelled", "teardown (running: nothing)")).toBe(true);
  });

  test("a standby that fails to build is removed and the size runs on the active sender, resized in place", async () => {
    const { log, ranOn, result, messages } = await sweep({ buildError: (id) => (id === "c4-r16" ? new Error("InsufficientInstanceCapacity: m5.xlarge in us-west-2b") : undefined) });
    expect(result).toMatchObject({ ran: 4, failed: 0, error: undefined });
    expect(messages).toContain("prefetch: the standby sender for size c4-r16 failed to build (InsufficientInstanceCapacity: m5.xlarge in us-west-2b); removing it and resizing the active sender in place instead");
    expect(before(log, "drop b", "ensureLab c4-r16 on a")).toBe(true);
    // Removed once: the last size did not come from the standby, so there is no idle sender to retire.
    expect(log.filter((l) => l.startsWith("drop"))).toEqual(["drop b"]);
    expect(log).not.toContain("swap → b");
    expect(ranOn.get("c4-r16#1")).toBe(SLOT_ADDRESS.a);
  });

  test("a standby that fails to provision falls back the same way", async () => {
    const { log, ranOn, result, messages } = await sweep({ provisionError: (id) => (id === "c4-r16" ? new Error("[sender b (198.18.0.11)] wait for SMTP: kumod exited") : undefined) });
    expect(result.ran).toBe(4);
    expect(messages.some((m) => m.includes("failed to provision ([sender b (198.18.0.11)] wait for SMTP: kumod exited)"))).toBe(true);
    expect(before(log, "drop b", "ensureLab c4-r16 on a")).toBe(true);
    expect(ranOn.get("c4-r16#2")).toBe(SLOT_ADDRESS.a);
  });

  test("when the fallback resize fails too, the sweep stops with that size's error and tears the lab down", async () => {
    const { log, result } = await sweep({
      buildError: (id) => (id === "c4-r16" ? new Error("VcpuLimitExceeded") : undefined),
      ensureError: (id) => (id === "c4-r16" ? new Error("resize of the sender to m5.xlarge failed: VcpuLimitExceeded") : undefined),
    });
    expect(result.error?.message).toBe("resize of the sender to m5.xlarge failed: VcpuLimitExceeded");
    expect(result.ran).toBe(2);
    expect(log.filter((l) => l.startsWith("teardown"))).toEqual(["teardown (running: nothing)"]);
  });

  test("--no-prefetch (or one size) resizes in place: no standby is ever built", async () => {
    const off = await sweep({}, { prefetch: false });
    expect(off.log.filter((l) => l.startsWith("ensureLab"))).toEqual(["ensureLab c2-r4 on a", "ensureLab c4-r16 on a"]);
    expect(off.log.some((l) => l.startsWith("standby"))).toBe(false);
    const one = await sweep({}, { sizes: [C4] });
    expect(one.log.some((l) => l.startsWith("standby") || l.startsWith("drop"))).toBe(false);
  });
});

describe("usesPrefetch", () => {
  const full = { prepareStandby: async () => ({}) as never, swapStandby: async () => ({}) as never, dropStandby: async () => undefined };
  test("needs the request, a two-slot driver, standby provisioning and two or more sizes left", () => {
    expect(usesPrefetch(true, full, true, 2)).toBe(true);
    expect(usesPrefetch(false, full, true, 4)).toBe(false);
    expect(usesPrefetch(true, {}, true, 4)).toBe(false);
    expect(usesPrefetch(true, full, false, 4)).toBe(false);
    expect(usesPrefetch(true, full, true, 1)).toBe(false);
  });
});
