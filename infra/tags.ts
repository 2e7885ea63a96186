/**
 * Tags carried by every taggable resource of the lab, so that an operator (and `npm run gc`)
 * can tell whose lab a resource belongs to and when it may be reclaimed.
 */

/** What the tags are built from. `createdAt` is the lab's birth time, fixed in state (see ./lab-clock.ts). */
export interface LabTagInput {
  labId: string;
  createdBy: string;
  /** ISO 8601 time the lab was first created. */
  createdAt: string;
  ttlHours: number;
}

export type Tags = Record<string, string>;

export const MANAGED_BY = "kumolab";

/** `createdAt` + TTL as an ISO 8601 UTC time; throws on a malformed `createdAt` rather than tagging "Invalid Date". */
export function expiresAt(createdAt: string, ttlHours: number): string {
  const t = Date.parse(createdAt);
  if (Number.isNaN(t)) throw new Error(`lab creation time '${createdAt}' is not an ISO 8601 time (read from the lab-clock resource in state)`);
  return new Date(t + ttlHours * 3_600_000).toISOString();
}

/** The tags shared by both clouds. Keys avoid characters Azure refuses in tag names (<>%&\?/). */
export function labTags(input: LabTagInput): Tags {
  return {
    labId: input.labId,
    createdBy: input.createdBy,
    createdAt: new Date(Date.parse(input.createdAt)).toISOString(),
    expiresAt: expiresAt(input.createdAt, input.ttlHours),
    managedBy: MANAGED_BY,
  };
}

/** AWS shows the `Name` tag in its console; name every AWS resource after its role in the lab. */
export function awsTags(base: Tags, role: string): Tags {
  return { ...base, Name: `${base["labId"] ?? MANAGED_BY}-${role}` };
}

/**
 * The lab id: project and stack, reduced to what every cloud accepts in names and tags.
 * Derived (not random) so that it is the same on every `pulumi up` of the stack.
 */
export function labIdFor(project: string, stack: string): string {
  const raw = `${project}-${stack}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, "");
  const id = raw.slice(0, 40).replace(/-$/, "");
  if (id.length === 0) throw new Error(`cannot derive a lab id from project '${project}' and stack '${stack}': use letters or digits in the stack name`);
  return id;
}
