/** A fake Automation API stack for PulumiLabDriver: records every call (method + args), no CLI, no cloud. */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { StackApi } from "../../scripts/lab-drivers/pulumi-lab-driver";
import { outputMap, type PlainOutputs } from "./lab-outputs";

export interface Call {
  method: string;
  args: unknown[];
}

interface EventOpts {
  onEvent?: (e: EngineEvent) => void;
}

export interface FakeStackScript {
  /** Outputs before anything runs (undefined = a new stack with none). */
  initial?: PlainOutputs;
  /** What `up` leaves as outputs, given the size config set. */
  upOutputs: (sizeId: string) => PlainOutputs;
  /** Engine events each up/refresh/destroy emits. */
  events?: EngineEvent[];
  /** Errors the first `up`s throw, in order (then `up` succeeds). */
  upErrors?: Error[];
  cancelError?: Error;
  destroyError?: Error;
  exportError?: Error;
  /** A refresh that throws (expired credentials, a provider error). */
  refreshError?: Error;
  resources?: Array<{ urn?: string; type?: string; id?: string }>;
  /** The deployment's `pending_operations` (what an interrupted update left). */
  pendingOperations?: Array<{ type: string; resource: { urn: string; type: string; id?: string; inputs?: Record<string, unknown> } }>;
}

export class FakeStack {
  readonly calls: Call[] = [];
  private current: PlainOutputs | undefined;
  private config = new Map<string, string>();

  constructor(
    readonly name: string,
    private readonly script: FakeStackScript,
  ) {
    this.current = script.initial;
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  private emit(opts: EventOpts | undefined): void {
    for (const e of this.script.events ?? []) opts?.onEvent?.(e);
  }

  asStackApi(): StackApi {
    // The driver only uses the fields it reads; the rest of the Automation API results is not modelled.
    const api = {
      name: this.name,
      setConfig: async (key: string, value: { value: string }) => {
        this.calls.push({ method: "setConfig", args: [key, value] });
        this.config.set(key, value.value);
      },
      up: async (opts?: EventOpts & { signal?: AbortSignal }) => {
        this.calls.push({ method: "up", args: [opts] });
        this.emit(opts);
        const upError = this.script.upErrors?.shift();
        if (upError) throw upError;
        const size = this.config.get("kumolab:sender.size");
        if (size === undefined) throw new Error("up without a size configured");
        this.current = this.script.upOutputs(size);
        return { stdout: "", stderr: "", summary: {}, outputs: outputMap(this.current) };
      },
      outputs: async () => {
        this.calls.push({ method: "outputs", args: [] });
        return this.current === undefined ? {} : outputMap(this.current);
      },
      cancel: async () => {
        this.calls.push({ method: "cancel", args: [] });
        if (this.script.cancelError) throw this.script.cancelError;
      },
      refresh: async (opts?: EventOpts & { clearPendingCreates?: boolean }) => {
        this.calls.push({ method: "refresh", args: [opts] });
        this.emit(opts);
        if (this.script.refreshError) throw this.script.refreshError;
        return { stdout: "", stderr: "", summary: {} };
      },
      destroy: async (opts?: EventOpts) => {
        this.calls.push({ method: "destroy", args: [opts] });
        this.emit(opts);
        if (this.script.destroyError) throw this.script.destroyError;
        this.current = undefined;
        return { stdout: "", stderr: "", summary: {} };
      },
      exportStack: async () => {
        this.calls.push({ method: "exportStack", args: [] });
        if (this.script.exportError) throw this.script.exportError;
        return { version: 3, deployment: { resources: this.script.resources ?? [], ...(this.script.pendingOperations ? { pending_operations: this.script.pendingOperations } : {}) } };
      },
    };
    return api as unknown as StackApi;
  }
}

let seq = 0;
export function preEvent(op: string, type: string, name: string): EngineEvent {
  return {
    sequence: ++seq,
    timestamp: 0,
    resourcePreEvent: { metadata: { op, type, urn: `urn:pulumi:dev::kumolab::${type}::${name}`, provider: "" } },
  } as EngineEvent;
}
export function outputsEvent(op: string, type: string, name: string): EngineEvent {
  return {
    sequence: ++seq,
    timestamp: 0,
    resOutputsEvent: { metadata: { op, type, urn: `urn:pulumi:dev::kumolab::${type}::${name}`, provider: "" } },
  } as EngineEvent;
}
export function failedEvent(op: string, type: string, name: string): EngineEvent {
  return {
    sequence: ++seq,
    timestamp: 0,
    resOpFailedEvent: { status: 1, steps: 0, metadata: { op, type, urn: `urn:pulumi:dev::kumolab::${type}::${name}`, provider: "" } },
  } as EngineEvent;
}
export function diagnosticEvent(severity: "error" | "warning" | "info" | "debug", message: string): EngineEvent {
  return { sequence: ++seq, timestamp: 0, diagnosticEvent: { message, color: "never", severity } } as EngineEvent;
}
