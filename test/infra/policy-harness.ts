/** A resource policy run the way the engine runs it, for tests: what it reports for one resource. */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

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

export async function verdict(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>): Promise<string[]> {
  const messages: string[] = [];
  const validators = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  for (const v of validators) await v(args(type, props), (m) => messages.push(m));
  return messages;
}
