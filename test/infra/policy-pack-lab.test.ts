/**
 * The policy pack against the real program: every resource the default lab declares (Pulumi's mocks,
 * no cloud) passes every policy. Kept apart from policy-pack.test.ts, whose unit tests are what
 * `npm run mutate` runs once per mutant; this one builds the whole lab (over a second on 2 cores).
 */
import { expect, test } from "vitest";
import { verdict } from "./policy-harness";
import { KUMOLAB_POLICIES } from "../../policy-pack/policies";
import { labConfig, runLab } from "./lab-fixture";


test("every resource of the default lab passes every policy", async () => {
  const run = await runLab(labConfig());
  expect(KUMOLAB_POLICIES.map((p) => p.enforcementLevel)).toEqual(["mandatory", "mandatory", "mandatory", "mandatory"]);
  for (const r of run.mocks.resources) {
    for (const p of KUMOLAB_POLICIES) expect(await verdict(p, r.type, r.inputs), `${p.name} on ${r.type} ${r.name}`).toEqual([]);
  }
});
