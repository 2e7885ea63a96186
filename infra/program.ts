/**
 * The program's body, with the preflight's look-ups as a seam: ./index.ts runs it with the real
 * ones (`pulumi up`), the tests with fakes under Pulumi's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import os from "node:os";
import { readStackConfig } from "./config";
import { sinkSpotChoice } from "./capacity";
import { createLab, type LabOutputs } from "./lab";
import { operatorCidrForProgram } from "./operator-cidr";
import { runPreflight, type PreflightLookups } from "./preflight";
import { labIdFor } from "./tags";

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment is the next best witness.
    return process.env["USER"] ?? "unknown";
  }
}

/** The program with its preflight look-ups as a seam (tests pass fakes; `pulumi up` the real ones). */
export async function runProgram(lookups: PreflightLookups): Promise<LabOutputs> {
  const { config } = readStackConfig();
  const operatorCidr = operatorCidrForProgram(config, pulumi.getStack());
  const preflight = await runPreflight(
    {
      region: config.aws.region,
      // The generator host must be offered in the same zone as the sender (it shares its subnet).
      sizes: [...config.sender.sizes, ...(config.generator.enabled ? [{ id: "generator", instanceType: config.generator.instanceType, vcpu: config.generator.vcpu }] : [])],
      sinkLocation: config.azure.location,
      sinkVmSize: config.sink.vmSize,
      senderSlots: config.sender.slots,
      spotSender: config.spot.sender,
    },
    lookups,
  );
  const sinkSpot = sinkSpotChoice(config.spot.sink, preflight.sinkSpotCapable, config.sink.vmSize, config.azure.location);
  for (const w of [...preflight.warnings, ...(sinkSpot.warning !== undefined ? [sinkSpot.warning] : [])]) void pulumi.log.warn(`preflight: ${w}`);
  const lab = createLab(config, {
    sinkSpot: sinkSpot.spot,
    labId: labIdFor(pulumi.getProject(), pulumi.getStack()),
    createdBy: currentUser(),
    operatorCidr,
    availabilityZone: preflight.zone,
  });
  return lab.outputs;
}
