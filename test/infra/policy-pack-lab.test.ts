/**
 * The policy pack against the real program: every resource the default lab declares (Pulumi's mocks,
 * no cloud) passes every policy. Kept apart from policy-pack.test.ts, whose unit tests are what
 * `npm run mutate` runs once per mutant; this one builds the whole lab (over a second on 2 cores).
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { expect, test } from "vitest";
import { KUMOLAB_POLICIES } from "../../policy-pack/policies";
import { labConfig, runLab } from "./lab-fixture";

/** What the engine hands a resource policy; only type and props matter to ours. */
function args(type: string, props: Record<string, unknown>): ResourceValidationArgs {
  return {
    type,
    props,
    urn: `urn:pulumi:test::kumolab::${type}::r`,
    name: "r",
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason ?? ""}`);
    },
  };
}

async function verdict(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>): Promise<string[]> {
  const messages: string[] = [];
  const validators = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  for (const v of validators) await v(args(type, props), (m) => messages.push(m));
  return messages;
}

test("every resource of the default lab passes every policy", async () => {
  const run = await runLab(labConfig());
  expect(KUMOLAB_POLICIES.map((p) => p.enforcementLevel)).toEqual(["mandatory", "mandatory", "mandatory", "mandatory"]);
  for (const r of run.mocks.resources) {
    for (const p of KUMOLAB_POLICIES) expect(await verdict(p, r.type, r.inputs), `${p.name} on ${r.type} ${r.name}`).toEqual([]);
  }
});
