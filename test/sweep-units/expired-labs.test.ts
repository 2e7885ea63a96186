/** `npm run gc`: which labs in the backend have passed their expiresAt. */
import { describe, expect, test } from "vitest";
import { findExpiredLabs, type BackendStacks } from "../../scripts/cloud/expired-labs";
import { labOutputs, outputMap } from "./lab-outputs";

function backend(stacks: Array<{ name: string; resourceCount?: number; outputs: object }>): BackendStacks & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    listStacks: async () => stacks.map(({ name, resourceCount }) => ({ name, ...(resourceCount === undefined ? {} : { resourceCount }) })),
    stackOutputs: async (name) => {
      asked.push(name);
      const s = stacks.find((x) => x.name === name);
      if (!s) throw new Error(`no stack ${name}`);
      return outputMap(s.outputs);
    },
  };
}

const NOW = new Date("2026-03-01T18:00:00.000Z");

describe("findExpiredLabs", () => {
  test("lists labs whose expiresAt has passed, not the others", async () => {
    const b = backend([
      { name: "old", resourceCount: 14, outputs: labOutputs("c2-r4", { labId: "kumolab-old", expiresAt: "2026-03-01T16:00:00.000Z" }) },
      { name: "fresh", resourceCount: 14, outputs: labOutputs("c2-r4", { labId: "kumolab-fresh", expiresAt: "2026-03-01T22:00:00.000Z" }) },
      { name: "exactly-now", outputs: labOutputs("c4-r16", { labId: "kumolab-now", expiresAt: NOW.toISOString() }) },
    ]);
    const { expired, notes } = await findExpiredLabs(b, NOW);
    expect(expired).toEqual([
      { stack: "old", labId: "kumolab-old", expiresAt: "2026-03-01T16:00:00.000Z", resourceCount: 14 },
      { stack: "exactly-now", labId: "kumolab-now", expiresAt: NOW.toISOString(), resourceCount: undefined },
    ]);
    expect(notes).toEqual([]);
  });

  test("stacks without lab outputs are not labs; one holding resources gets a note saying how to destroy it", async () => {
    const b = backend([
      { name: "never-built", resourceCount: 0, outputs: {} },
      { name: "half-built", resourceCount: 5, outputs: {} },
      { name: "bad-time", resourceCount: 3, outputs: { labId: "kumolab-x", expiresAt: "tomorrow" } },
    ]);
    const { expired, notes } = await findExpiredLabs(b, NOW);
    expect(expired).toEqual([]);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain("stack half-built has 5 resources but no lab outputs");
    expect(notes[0]).toContain("npm run down -- --stack half-built");
    expect(notes[1]).toContain("stack bad-time");
    expect(b.asked).toEqual(["never-built", "half-built", "bad-time"]);
  });
});
