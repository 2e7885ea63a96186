/**
 * kumolab's Pulumi program: a sender VM on AWS and an 8-vCPU sink VM on Azure, reachable only by
 * the operator and unable to send to anyone's port 25. The shape of the lab is in ./lab.ts.
 *
 * An async entry point so that a bad config or an operator address never stored (`auto`) stops the
 * run before a single resource is registered. Its result is the stack outputs (lab-config/stack-outputs.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import os from "node:os";
import { readStackConfig } from "./config";
import { createLab, type LabOutputs } from "./lab";
import { operatorCidrForProgram } from "./operator-cidr";
import { labIdFor } from "./tags";

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment is the next best witness.
    return process.env["USER"] ?? "unknown";
  }
}

export = async (): Promise<LabOutputs> => {
  const { config } = readStackConfig();
  const operatorCidr = operatorCidrForProgram(config, pulumi.getStack());
  const lab = createLab(config, { labId: labIdFor(pulumi.getProject(), pulumi.getStack()), createdBy: currentUser(), operatorCidr });
  return lab.outputs;
};
