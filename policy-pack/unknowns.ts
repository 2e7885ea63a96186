/**
 * What the engine hands a policy during preview, made readable as a whole.
 *
 * @pulumi/policy wraps `args.props` in a proxy that throws `UnknownValueError` on the first read
 * of a value not known yet; the server then reports the policy as "can't run during preview" at
 * advisory level (node_modules/@pulumi/policy/server.js, `makeAnalyzeRpcFun`). Parsing whole
 * objects (as ours do) touches every field, so on a new stack every check would be downgraded.
 * Instead the raw object is taken from behind the proxy (proxy.js: `__getSpecialProxyTarget`) and
 * each unknown is replaced by UNKNOWN, which the checks read as the worst case.
 */
import { UNKNOWN } from "./port-coverage";

/** The sentinels of node_modules/@pulumi/policy/proxy.js (boolean, number, string, array, asset, archive, object). */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);
const TARGET = "__getSpecialProxyTarget";

function rawTarget(v: unknown): unknown {
  if (v !== null && typeof v === "object") {
    const t: unknown = Reflect.get(v, TARGET);
    if (t !== undefined) return t;
  }
  return v;
}

/**
 * The properties with every unknown replaced by UNKNOWN; an unknown list stays UNKNOWN
 * (the schemas in ./policies.ts read an UNKNOWN list as one holding the worst element).
 */
export function readableProps(props: unknown): unknown {
  const walk = (v: unknown): unknown => {
    const raw = rawTarget(v);
    if (typeof raw === "string") return UNKNOWN_SENTINELS.has(raw) ? UNKNOWN : raw;
    if (Array.isArray(raw)) return raw.map(walk);
    if (raw !== null && typeof raw === "object") return Object.fromEntries(Object.entries(raw).map(([k, x]) => [k, walk(x)]));
    return raw;
  };
  return walk(props);
}
