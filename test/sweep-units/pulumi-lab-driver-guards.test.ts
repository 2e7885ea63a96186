/**
 * PulumiLabDriver and the guard rails: every `up` carries kumolab's policy pack (Automation API
 * UpOptions.policyPacks, @pulumi/pulumi automation/stack.d.ts) unless explicitly turned off, and an
 * `auto` operator address is looked up once and stored in the stack's config before the first up.
 */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import { PulumiLabDriver } from "../../scripts/lab-drivers/pulumi-lab-driver";
import type { ProgressEvent } from "../../scripts/progress/events";
import { FakeStack } from "./fake-stack";
import { labOutputs } from "./lab-outputs";

const cfg = loadLabConfig().config;
const C2 = cfg.sender.sizes.find((s) => s.id === "c2-r4");
const C4 = cfg.sender.sizes.find((s) => s.id === "c4-r16");
if (!C2 || !C4) throw new Error("lab.yaml lacks c2-r4/c4-r16");
const PACK = path.resolve(__dirname, "../../policy-pack");

function upOptions(fake: FakeStack): { policyPacks?: string[] }[] {
  return fake.calls.filter((c) => c.method === "up").map((c) => c.args[0] as { policyPacks?: string[] });
}

describe("the policy pack on every up", () => {
  test("by default each up names the project's policy-pack folder", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id) });
    const driver = new PulumiLabDriver(fake.asStackApi(), "file:///tmp/state");
    const progress = () => undefined;
    await driver.ensureLab(C2, { progress, signal: new AbortController().signal });
    await driver.ensureLab(C4, { progress, signal: new AbortController().signal });
    expect(upOptions(fake).map((o) => o.policyPacks)).toEqual([[PACK], [PACK]]);
    expect(driver.description).toBe("stack dev (file:///tmp/state)");
  });

  test("the explicit opt-out runs up without a pack and says so in the description", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id) });
    const driver = new PulumiLabDriver(fake.asStackApi(), "file:///tmp/state", { policyPacks: [] });
    await driver.ensureLab(C2, { progress: () => undefined, signal: new AbortController().signal });
    expect(upOptions(fake)[0]?.policyPacks).toBeUndefined();
    expect(driver.description).toBe("stack dev (file:///tmp/state), guard rails OFF (no policy pack)");
  });
});

describe("operator address: resolved once per lab, stored in the stack's config", () => {
  test("looked up once, stored before the first up, never again", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id) });
    let lookups = 0;
    const driver = new PulumiLabDriver(fake.asStackApi(), "file:///tmp/state", {
      lookupOperatorCidr: async () => {
        lookups += 1;
        return "198.18.0.7/32";
      },
    });
    const events: ProgressEvent[] = [];
    await driver.ensureLab(C2, { progress: (e) => void events.push(e), signal: new AbortController().signal });
    await driver.ensureLab(C4, { progress: () => undefined, signal: new AbortController().signal });
    expect(lookups).toBe(1);
    expect(fake.methods()).toEqual(["outputs", "setConfig", "setConfig", "up", "outputs", "setConfig", "up"]);
    expect(fake.calls[1]?.args).toEqual(["kumolab:operatorCidr", { value: "198.18.0.7/32" }]);
    expect(events.flatMap((e) => (e.type === "log" ? [e.message] : []))).toEqual([
      "operator address 198.18.0.7/32 stored in stack dev's config (kumolab:operatorCidr); later runs keep it: change it with 'npx pulumi config set kumolab:operatorCidr <cidr> --stack dev'",
    ]);
  });

  test("a failed lookup stops before anything is set or created", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id) });
    const driver = new PulumiLabDriver(fake.asStackApi(), "file:///tmp/state", { lookupOperatorCidr: async () => Promise.reject(new Error("lookup failed")) });
    await expect(driver.ensureLab(C2, { progress: () => undefined, signal: new AbortController().signal })).rejects.toThrow("lookup failed");
    expect(fake.methods()).toEqual(["outputs"]);
  });
});
