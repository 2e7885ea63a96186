/**
 * kumolab's Pulumi program: a sender VM on AWS and an 8-vCPU sink VM on Azure, reachable only by
 * the operator and unable to send to anyone's port 25. The shape of the lab is in ./lab.ts.
 *
 * An async entry point so that a bad config, an operator address never stored (`auto`) or a failed
 * preflight (./preflight.ts: sizes offered in a zone, vCPU quota, sink size) stops the run before a
 * single resource is registered. Its result is the stack outputs (lab-config/stack-outputs.ts).
 */
import type { LabOutputs } from "./lab";
import { awsAzurePreflightLookups } from "./preflight-lookups";
import { runProgram } from "./program";

export = async (): Promise<LabOutputs> => runProgram(awsAzurePreflightLookups);
