/** Pulumi engine events → the lab's progress events (resource by resource during up/destroy). */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { ProgressEvent } from "../progress/events";

function resourceName(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

/** Translates one engine event; undefined for the many events nobody needs to see. */
export function progressFromEngineEvent(e: EngineEvent): ProgressEvent | undefined {
  if (e.resourcePreEvent && e.resourcePreEvent.metadata.op !== "same") {
    const m = e.resourcePreEvent.metadata;
    if (m.type === "pulumi:pulumi:Stack") return undefined;
    return { type: "log", level: "info", message: `pulumi: ${m.op} ${m.type} ${resourceName(m.urn)} …` };
  }
  if (e.resOutputsEvent && e.resOutputsEvent.metadata.op !== "same") {
    const m = e.resOutputsEvent.metadata;
    if (m.type === "pulumi:pulumi:Stack") return undefined;
    return { type: "log", level: "info", message: `pulumi: ${m.op} ${m.type} ${resourceName(m.urn)} done` };
  }
  if (e.resOpFailedEvent) {
    const m = e.resOpFailedEvent.metadata;
    return { type: "log", level: "warn", message: `pulumi: ${m.op} ${m.type} ${resourceName(m.urn)} FAILED` };
  }
  if (e.diagnosticEvent && (e.diagnosticEvent.severity === "error" || e.diagnosticEvent.severity === "warning")) {
    return { type: "log", level: "warn", message: `pulumi ${e.diagnosticEvent.severity}: ${e.diagnosticEvent.message.trim()}` };
  }
  return undefined;
}
