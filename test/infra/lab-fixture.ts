/** Runs the lab program under mocks and waits until every resource has been registered. */
import * as pulumi from "@pulumi/pulumi";
import path from "node:path";
import { resolveStackConfig } from "../../infra/config";
import { createLab, type Lab, type LabOutputs } from "../../infra/lab";
import type { LabConfig } from "../../lab-config/schema";
import { installMocks, valueOf, type LabMocks } from "./lab-mocks";

export const TEST_OPERATOR_CIDR = "198.18.0.7/32";

export const DEFAULTS_FILE = path.resolve(__dirname, "../../lab-config/lab.yaml");

/** The defaults with `overrides` (as `pulumi config` would hand them over) and an explicit operator CIDR. */
export function labConfig(overrides: Record<string, string> = {}): LabConfig {
  return resolveStackConfig({ "kumolab:operatorCidr": TEST_OPERATOR_CIDR, ...overrides }, "test", DEFAULTS_FILE).config;
}

export interface LabRun {
  mocks: LabMocks;
  lab: Lab;
  /** The stack outputs, resolved. */
  outputs: pulumi.Unwrap<LabOutputs>;
}

export async function runLab(config: LabConfig, operatorCidr = TEST_OPERATOR_CIDR): Promise<LabRun> {
  const mocks = await installMocks();
  const lab = createLab(config, { labId: "kumolab-test", createdBy: "tester", operatorCidr });
  await Promise.all(lab.resources.map((r) => valueOf(r.id)));
  const outputs = await valueOf(pulumi.output(lab.outputs));
  return { mocks, lab, outputs };
}
