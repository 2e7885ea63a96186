/**
 * The optional generator host: a third VM in the sender's network (AWS, same VPC and subnet) that
 * runs traffic-gen against the sender's private address, so the sender's CPU is the MTA's alone.
 * KumoMTA's architecture docs advise against running injectors on the MTA node; at 20,000
 * connections traffic-gen holds ~2 GB of bodies and takes CPU from the kumod it measures.
 */
import { z } from "zod";

export const DEFAULT_GENERATOR = { enabled: false, instanceType: "c5.2xlarge", vcpu: 8, ramGiB: 16, arch: "x86_64" } as const;

export const generatorSchema = z
  .object({
    /** Build the generator host and run traffic-gen there. Default false (traffic-gen runs on the sender, as the published runs did). */
    enabled: z.boolean().default(DEFAULT_GENERATOR.enabled),
    /** Its EC2 instance type, e.g. `c5.2xlarge` (the default: 8 vCPUs, so it is not the limit below the largest sender). */
    instanceType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, "must be an EC2 instance type such as c5.2xlarge").default(DEFAULT_GENERATOR.instanceType),
    /** Its vCPUs and RAM as AWS lists them (stack outputs and the plan); default 8 and 16 for c5.2xlarge. */
    vcpu: z.number().int().positive().default(DEFAULT_GENERATOR.vcpu),
    ramGiB: z.number().positive().default(DEFAULT_GENERATOR.ramGiB),
    /** CPU architecture of its image: `x86_64` (default) or `arm64`; must match the instance type. */
    arch: z.enum(["x86_64", "arm64"]).default(DEFAULT_GENERATOR.arch),
    /** On-demand USD per hour, for the cost estimate. Optional. */
    hourlyUsd: z.number().nonnegative().optional(),
  })
  .strict();
export type GeneratorSettings = z.output<typeof generatorSchema>;
