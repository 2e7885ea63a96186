/** Timeline events, `<results dir>/timeline.jsonl`: when the lab and each size existed (the cost is computed from these windows). */
import { z } from "zod";

/** `standby-start`: prefetch began building the size's sender on the standby slot (it costs from then, before its size-start). */
export const timelineKindSchema = z.enum(["lab-up-start", "lab-up-done", "size-start", "size-done", "lab-destroy-start", "lab-destroyed", "interrupted", "standby-start"]);
export type TimelineKind = z.infer<typeof timelineKindSchema>;

export const timelineEventSchema = z
  .object({
    at: z.iso.datetime({ offset: true }),
    kind: timelineKindSchema,
    sizeId: z.string().min(1).optional(),
    /** Which lab of a parallel sweep (`lab2`); absent with one lab. Each lab's window is its own. */
    lab: z.string().min(1).optional(),
    detail: z.string().optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.kind === "size-start" || e.kind === "size-done" || e.kind === "standby-start") && e.sizeId === undefined) ctx.addIssue({ code: "custom", path: ["sizeId"], message: `${e.kind} needs a sizeId` });
  });
export type TimelineEvent = z.infer<typeof timelineEventSchema>;
