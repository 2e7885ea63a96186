/** A sweep never outlives its lab: the TTL is raised before the sweep when the plan runs past it. */
import { describe, expect, test } from "vitest";
import { ttlForPlan } from "../../scripts/sweep/lab-ttl";

describe("lab TTL against the plan", () => {
  test("a plan within the TTL (with 1.5× head-room) changes nothing", () => {
    // 2 h 40 min × 1.5 = 4 h exactly: within a 4 h TTL.
    expect(ttlForPlan(160 * 60, 4)).toEqual({ extend: false });
  });

  test("a plan past the TTL raises it to 1.5× the estimate in whole hours, and says why", () => {
    // 3 h × 1.5 = 4.5 h → 5 h.
    const d = ttlForPlan(3 * 3600, 4);
    expect(d).toMatchObject({ extend: true, fromHours: 4, toHours: 5 });
    expect(d.extend && d.why).toMatch(/plan runs 3\.0 h.*lab\.ttlHours = 4 h.*raised to 5 h/);
    // 2 h 41 min × 1.5 = 4.03 h → 5 h.
    expect(ttlForPlan(161 * 60, 4)).toMatchObject({ extend: true, toHours: 5 });
  });

  test("a plan beyond a week cannot be covered: it says how to split it", () => {
    // 113 h × 1.5 = 169.5 h > 168.
    const d = ttlForPlan(113 * 3600, 4);
    expect(d.extend).toBe(false);
    expect("tooLong" in d && d.tooLong).toMatch(/beyond the longest lab lifetime \(lab\.ttlHours ≤ 168\).*--sizes, --trials/);
  });
});

describe("PulumiLabDriver.extendTtl", () => {
  test("the raised TTL goes into the stack's config before the next up, once, and the user is told", async () => {
    const { PulumiLabDriver, TTL_CONFIG_KEY } = await import("../../scripts/lab-drivers/pulumi-lab-driver");
    const { FakeStack } = await import("./fake-stack");
    const { labOutputs } = await import("./lab-outputs");
    const { loadLabConfig } = await import("../../lab-config/load");
    const c2 = loadLabConfig().config.sender.sizes.find((s) => s.id === "c2-r4")!;
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), events: [] });
    const driver = new PulumiLabDriver(fake.asStackApi(), "file:///tmp/state");
    const messages: string[] = [];
    const progress = (e: { type: string; message?: string }): void => void (e.type === "log" && e.message && messages.push(e.message));
    driver.extendTtl(5);
    await driver.ensureLab(c2, { progress, signal: new AbortController().signal });
    expect(TTL_CONFIG_KEY).toBe("kumolab:lab.ttlHours");
    expect(fake.calls.filter((c) => c.method === "setConfig").map((c) => c.args)).toEqual([
      ["kumolab:lab.ttlHours", { value: "5" }],
      ["kumolab:sender.size", { value: "c2-r4" }],
    ]);
    expect(fake.methods().indexOf("up")).toBeGreaterThan(fake.methods().indexOf("setConfig"));
    expect(messages.join("\n")).toMatch(/lab\.ttlHours set to 5 in stack dev's config/);
    // A second build (a resize) does not set it again.
    await driver.ensureLab(c2, { progress, signal: new AbortController().signal });
    expect(fake.calls.filter((c) => c.method === "setConfig" && c.args[0] === "kumolab:lab.ttlHours")).toHaveLength(1);
  });
});
