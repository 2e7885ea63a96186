/**
 * PulumiLabDriver's standby slot (prefetch) at its seam: which config keys each step sets, which
 * steps run `up`, and the hosts each returns — over a fake stack whose outputs follow its config as
 * the program's do (infra/lab.ts).
 */
import { describe, expect, test } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import type { SenderSize } from "../../lab-config/schema";
import { ACTIVE_SLOT_CONFIG_KEY, PulumiLabDriver, SIZE_CONFIG_KEY, SLOTS_CONFIG_KEY, STANDBY_SIZE_CONFIG_KEY, type StackApi } from "../../scripts/lab-drivers/pulumi-lab-driver";
import { labOutputs, outputMap } from "./lab-outputs";

const sizes = loadLabConfig().config.sender.sizes;
const size = (id: string): SenderSize => sizes.find((s) => s.id === id) as SenderSize;
const ADDRESS = { a: "198.18.0.10", b: "198.18.0.11" } as const;
const noProgress = (): void => undefined;

/** A stack whose `up` produces the outputs infra/lab.ts would for the config set so far. */
function fakeStack() {
  const calls: string[] = [];
  const config = new Map<string, string>();
  const outputsFor = (): Record<string, unknown> => {
    const active = (config.get(ACTIVE_SLOT_CONFIG_KEY) ?? "a") as "a" | "b";
    const other = active === "a" ? "b" : "a";
    const base = labOutputs(config.get(SIZE_CONFIG_KEY) ?? "c2-r4");
    const standbyRaw = config.get(STANDBY_SIZE_CONFIG_KEY);
    const standbyId = standbyRaw === undefined || standbyRaw === "null" ? null : standbyRaw;
    if (config.get(SLOTS_CONFIG_KEY) !== "2") return { ...base };
    const vm = standbyId === null ? null : { ...labOutputs(standbyId).sender, publicIp: ADDRESS[other] };
    return { ...base, senderSlot: active, sender: { ...base.sender, publicIp: ADDRESS[active] }, standby: { slot: other, publicIp: ADDRESS[other], sizeId: standbyId, vm } };
  };
  let current: Record<string, unknown> | undefined;
  const api = {
    name: "dev",
    setConfig: async (key: string, v: { value: string }) => {
      calls.push(`set ${key}=${v.value}`);
      config.set(key, v.value);
    },
    up: async () => {
      calls.push("up");
      current = outputsFor();
      return { stdout: "", stderr: "", summary: {}, outputs: outputMap(current) };
    },
    outputs: async () => (current === undefined ? {} : outputMap(current)),
  };
  return { calls, stack: api as unknown as StackApi };
}

describe("PulumiLabDriver with two sender slots", () => {
  test("build, standby, swap, next standby on the old slot, removal: config keys and ups in order", async () => {
    const { calls, stack } = fakeStack();
    const driver = new PulumiLabDriver(stack, "file:///tmp/state", { senderSlots: 2 });
    const opts = { progress: noProgress, signal: new AbortController().signal };

    const first = await driver.ensureLab(size("c2-r4"), opts);
    expect(calls).toEqual([`set ${SLOTS_CONFIG_KEY}=2`, `set ${SIZE_CONFIG_KEY}=c2-r4`, "up"]);
    expect([first.hosts.sender.address, first.hosts.sender.slot, first.hosts.alsoAdmitFromSink]).toEqual([ADDRESS.a, "a", [ADDRESS.b]]);

    calls.length = 0;
    const standby = await driver.prepareStandby?.(size("c4-r16"), opts);
    expect(calls).toEqual([`set ${STANDBY_SIZE_CONFIG_KEY}=c4-r16`, "up"]);
    expect(standby?.change).toBe("created");
    expect([standby?.hosts.sender.address, standby?.hosts.sender.slot, standby?.hosts.sender.size?.label]).toEqual([ADDRESS.b, "b", "m5.xlarge"]);

    calls.length = 0;
    const swapped = await driver.swapStandby?.({ progress: noProgress });
    // Config only: the slot sizes are unchanged, so no `up`.
    expect(calls).toEqual([`set ${ACTIVE_SLOT_CONFIG_KEY}=b`, `set ${SIZE_CONFIG_KEY}=c4-r16`, `set ${STANDBY_SIZE_CONFIG_KEY}=c2-r4`]);
    expect(swapped?.sender.address).toBe(ADDRESS.b);

    calls.length = 0;
    const next = await driver.prepareStandby?.(size("c8-r32"), opts);
    expect(calls).toEqual([`set ${STANDBY_SIZE_CONFIG_KEY}=c8-r32`, "up"]);
    expect(next?.change).toBe("resized");
    expect([next?.hosts.sender.address, next?.hosts.sender.slot]).toEqual([ADDRESS.a, "a"]);

    calls.length = 0;
    await driver.swapStandby?.({ progress: noProgress });
    await driver.dropStandby?.(opts);
    expect(calls).toEqual([`set ${ACTIVE_SLOT_CONFIG_KEY}=a`, `set ${SIZE_CONFIG_KEY}=c8-r32`, `set ${STANDBY_SIZE_CONFIG_KEY}=c4-r16`, `set ${STANDBY_SIZE_CONFIG_KEY}=null`, "up"]);
  });

  test("a swap with no standby prepared is refused, saying why", async () => {
    const { stack } = fakeStack();
    const driver = new PulumiLabDriver(stack, "file:///tmp/state", { senderSlots: 2 });
    await driver.ensureLab(size("c2-r4"), { progress: noProgress, signal: new AbortController().signal });
    await expect(driver.swapStandby?.({ progress: noProgress })).rejects.toThrow("stack dev: no standby sender was prepared, so there is nothing to swap in");
  });

  test("one slot (the default, or --no-prefetch): no standby operations, and the slots key is never set", async () => {
    const { calls, stack } = fakeStack();
    const driver = new PulumiLabDriver(stack, "file:///tmp/state");
    expect([driver.prepareStandby, driver.swapStandby, driver.dropStandby]).toEqual([undefined, undefined, undefined]);
    await driver.ensureLab(size("c2-r4"), { progress: noProgress, signal: new AbortController().signal });
    expect(calls).toEqual([`set ${SIZE_CONFIG_KEY}=c2-r4`, "up"]);
  });
});
