/**
 * `npm run gc`: labs in the backend whose `expiresAt` has passed. Reads each stack's outputs; a
 * stack without outputs (never built, or already destroyed) is not a running lab.
 */
import { z } from "zod";

export interface BackendStacks {
  listStacks(): Promise<Array<{ name: string; resourceCount?: number }>>;
  stackOutputs(name: string): Promise<Record<string, { value: unknown }>>;
}

export interface ExpiredLab {
  stack: string;
  labId: string;
  expiresAt: string;
  resourceCount: number | undefined;
}

const labOutputs = z.object({ labId: z.string(), expiresAt: z.iso.datetime() });

export async function findExpiredLabs(backend: BackendStacks, now: Date = new Date()): Promise<{ expired: ExpiredLab[]; notes: string[] }> {
  const expired: ExpiredLab[] = [];
  const notes: string[] = [];
  for (const s of await backend.listStacks()) {
    const outputs = await backend.stackOutputs(s.name);
    const parsed = labOutputs.safeParse({ labId: outputs["labId"]?.value, expiresAt: outputs["expiresAt"]?.value });
    if (!parsed.success) {
      if (s.resourceCount !== undefined && s.resourceCount > 0) {
        notes.push(`stack ${s.name} has ${s.resourceCount} resources but no lab outputs (an interrupted 'up'?); destroy it with 'npm run down -- --stack ${s.name}'`);
      }
      continue;
    }
    if (Date.parse(parsed.data.expiresAt) <= now.getTime()) {
      expired.push({ stack: s.name, labId: parsed.data.labId, expiresAt: parsed.data.expiresAt, resourceCount: s.resourceCount });
    }
  }
  return { expired, notes };
}
