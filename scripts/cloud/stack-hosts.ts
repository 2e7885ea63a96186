/** The lab's hosts from a Pulumi stack's outputs (read with the Automation API, secrets included). */
import type { LabHosts } from "../hosts/lab-hosts";
import { hostsFromStackOutputs } from "../hosts/from-stack";
import { openStack } from "../lab-drivers/pulumi-lab-driver";
import { backendUrl } from "./backend";

export async function loadHostsFromStack(stack: string, backend?: string): Promise<LabHosts> {
  const url = backendUrl(backend);
  const outputs = await (await openStack(stack, url)).outputs();
  if (Object.keys(outputs).length === 0) {
    throw new Error(`stack ${stack} (${url}) has no outputs: the lab is not built. Build it with 'npx pulumi up' or run 'npm run sweep'`);
  }
  return hostsFromStackOutputs(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value as unknown])));
}
