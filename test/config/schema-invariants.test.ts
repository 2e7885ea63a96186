/**
 * The lab config's invariants one by one, on the defaults file with one value changed, and the
 * resolver's handling of keys: expected values by hand (traffic-gen's body sizes are decimal —
 * kb = 1000 bytes, mb = 1,000,000 — as its `--body-size 100kb` equals the published 100000).
 */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { readYamlFile } from "../../lab-config/load";
import { formatConfigIssues, LabConfigError, parseOverrideValue, resolveLabConfig } from "../../lab-config/resolve";
import { labConfigSchema, parseBodySize, senderSizeById, type LabConfig } from "../../lab-config/schema";

const DEFAULTS_FILE = path.resolve(__dirname, "../../lab-config/lab.yaml");
type Mapping = Record<string, unknown>;
const defaults = (): Mapping => ({ ...(readYamlFile(DEFAULTS_FILE) as Mapping), operatorCidr: "198.18.0.7/32" });

/** The defaults with `section.key` set to `value`; the issues as `path: message`. */
function issuesWith(section: string, key: string, value: unknown): string[] {
  const d = defaults();
  const cfg = { ...d, [section]: { ...(d[section] as Mapping), [key]: value } };
  const r = labConfigSchema.safeParse(cfg);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("sink port", () => {
  test.each([25, 465, 587])("%d is refused like every SMTP port", (port) => {
    expect(issuesWith("sink", "smtpPort", port)).toEqual(["sink.smtpPort: the sink port must not be 25, 465 or 587: the lab blocks those outbound on every host"]);
  });

  test.each([24, 26, 464, 466, 586, 588, 2525, 1, 65535])("%d is accepted", (port) => {
    expect(issuesWith("sink", "smtpPort", port)).toEqual([]);
  });

  test.each([0, 65536, 2525.5])("%d is not a port", (port) => {
    expect(issuesWith("sink", "smtpPort", port)).toHaveLength(1);
  });
});

describe("disks", () => {
  test("the sender's root volume: 8 GiB at least (Ubuntu's EC2 images are 8 GiB), 1 TiB at most", () => {
    expect(issuesWith("aws", "rootVolumeGiB", 1)).toHaveLength(1);
    expect(issuesWith("aws", "rootVolumeGiB", 7)).toHaveLength(1);
    expect(issuesWith("aws", "rootVolumeGiB", 8)).toEqual([]);
    expect(issuesWith("aws", "rootVolumeGiB", 1024)).toEqual([]);
    expect(issuesWith("aws", "rootVolumeGiB", 1025)).toHaveLength(1);
  });

  test("the sink's OS disk: 30 GiB at least (Azure's Ubuntu images are 30 GiB)", () => {
    expect(issuesWith("azure", "osDiskGiB", 29)).toHaveLength(1);
    expect(issuesWith("azure", "osDiskGiB", 30)).toEqual([]);
  });
});

describe("body size", () => {
  test.each<[number | string, number | undefined]>([
    [100000, 100000],
    ["100000", 100000],
    ["100kb", 100_000],
    ["60KB", 60_000],
    ["1mb", 1_000_000],
    ["2MB", 2_000_000],
    [" 7 b ", 7],
    ["7B", 7],
    ["100 kb", 100_000],
    // refused
    [0, undefined],
    [-5, undefined],
    [1.5, undefined],
    ["0", undefined],
    ["0kb", undefined],
    ["1gb", undefined],
    ["1kib", undefined],
    ["1.5mb", undefined],
    ["kb", undefined],
    ["", undefined],
    ["x100kb", undefined],
    ["100kbx", undefined],
    ["-1kb", undefined],
  ])("%j → %s bytes", (text, bytes) => {
    expect(parseBodySize(text)).toBe(bytes);
  });

  test("the schema stores bytes and explains a bad value", () => {
    const d = defaults();
    const parsed = labConfigSchema.parse({ ...d, traffic: { ...(d.traffic as Mapping), bodySize: "1mb" } });
    expect(parsed.traffic.bodySize).toBe(1_000_000);
    expect(issuesWith("traffic", "bodySize", "1gb")).toEqual(["traffic.bodySize: must be a byte count (100000) or a size with a unit b, kb or mb (100kb, 1mb)"]);
  });
});

describe("cross-field rules", () => {
  test("a world-open operator CIDR needs the explicit opt-in", () => {
    const world = { ...defaults(), operatorCidr: "0.0.0.0/0" };
    const r = labConfigSchema.safeParse(world);
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      "operatorCidr: 0.0.0.0/0 opens SSH to the whole internet; use your own address (or 'auto'), or set allowWorldOpenOperatorCidr: true to accept the risk",
    ]);
    expect(labConfigSchema.safeParse({ ...world, allowWorldOpenOperatorCidr: true }).success).toBe(true);
    expect(labConfigSchema.safeParse({ ...defaults(), operatorCidr: "auto" }).success).toBe(true);
  });

  test("the sink needs 8 vCPUs: 8 is enough, 4 is not", () => {
    expect(issuesWith("sink", "vmSize", "Standard_D8s_v5")).toEqual([]);
    expect(issuesWith("sink", "vmSize", "Standard_D4s_v5")).toEqual(["sink.vmSize: Standard_D4s_v5 has 4 vCPUs; the sink needs at least 8 so that it is never the limit"]);
  });

  test("a max retry interval equal to the retry interval is fine; below it is not", () => {
    const d = defaults();
    const k = d.kumomta as Mapping;
    expect(labConfigSchema.safeParse({ ...d, kumomta: { ...k, retryIntervalSeconds: 30, maxRetryIntervalSeconds: 30 } }).success).toBe(true);
    expect(labConfigSchema.safeParse({ ...d, kumomta: { ...k, retryIntervalSeconds: 30, maxRetryIntervalSeconds: 29 } }).success).toBe(false);
  });

  test("the issue paths, messages and codes of the cross-field rules", () => {
    const d = defaults();
    const issues = (cfg: Mapping) => {
      const r = labConfigSchema.safeParse(cfg);
      return r.success ? [] : r.error.issues.map((i) => [i.code, i.path.join("."), i.message]);
    };
    expect(issues({ ...d, kumomta: { ...(d.kumomta as Mapping), retryIntervalSeconds: 30, maxRetryIntervalSeconds: 29 } })).toEqual([
      ["custom", "kumomta.maxRetryIntervalSeconds", "must be at least retryIntervalSeconds (30)"],
    ]);
    expect(issues({ ...d, sender: { ...(d.sender as Mapping), size: "c3-r9" } })).toEqual([
      ["custom", "sender.size", "unknown size id 'c3-r9'; allowed: c2-r4, c4-r16, c8-r32, c16-r64"],
    ]);
    expect(issues({ ...d, sink: { ...(d.sink as Mapping), vmSize: "Standard_B1s" } })).toEqual([
      ["custom", "sink.vmSize", expect.stringMatching(/^unknown Azure VM size 'Standard_B1s'; known: Standard_F2s_v2, Standard_F4s_v2, .* \(add it to lab-config\/azure-sizes\.ts\)$/)],
    ]);
    expect(issues({ ...d, sink: { ...(d.sink as Mapping), smtpPort: 465 } })).toEqual([["custom", "sink.smtpPort", expect.any(String)]]);
    expect(issues({ ...d, operatorCidr: "0.0.0.0/0" })).toEqual([["custom", "operatorCidr", expect.any(String)]]);
    const size = (id: string) => ({ id, instanceType: "c5.large", vcpu: 2, ramGiB: 4, arch: "x86_64" });
    expect(issues({ ...d, sender: { size: "a", sizes: [size("a"), size("a")] } })).toEqual([["custom", "sender.sizes.1.id", "duplicate size id 'a'"]]);
  });

  test("the operator CIDR: 'auto' as is, a range normalised (host bits cleared), anything else refused", () => {
    expect(labConfigSchema.parse({ ...defaults(), operatorCidr: "auto" }).operatorCidr).toBe("auto");
    expect(labConfigSchema.parse({ ...defaults(), operatorCidr: "198.18.0.7/24" }).operatorCidr).toBe("198.18.0.0/24");
    expect(labConfigSchema.parse({ ...defaults(), operatorCidr: "198.18.0.7/32" }).operatorCidr).toBe("198.18.0.7/32");
    expect(labConfigSchema.safeParse({ ...defaults(), operatorCidr: "my-laptop" }).success).toBe(false);
  });

  test("a KumoMTA version pin is checked; null means the channel's latest", () => {
    const d = defaults();
    const k = d.kumomta as Mapping;
    expect(labConfigSchema.parse({ ...d, kumomta: { ...k, version: null } }).kumomta.version).toBeNull();
    expect(labConfigSchema.parse({ ...d, kumomta: { ...k, version: "2025.01.29.123456.833f82a8" } }).kumomta.version).toBe("2025.01.29.123456.833f82a8");
    const bad = labConfigSchema.safeParse({ ...d, kumomta: { ...k, version: "latest" } });
    expect(bad.success ? [] : bad.error.issues.map((i) => [i.code, i.path.join(".")])).toEqual([["custom", "kumomta.version"]]);
  });

  test("every duplicate id is named, and a unique one is not", () => {
    const size = (id: string) => ({ id, instanceType: "c5.large", vcpu: 2, ramGiB: 4, arch: "x86_64" });
    expect(issuesWith("sender", "sizes", [size("a"), size("b"), size("a"), size("a")]).filter((i) => i.includes("duplicate"))).toEqual([
      "sender.sizes.2.id: duplicate size id 'a'",
      "sender.sizes.3.id: duplicate size id 'a'",
    ]);
  });

  test("senderSizeById finds a size or names the allowed ids", () => {
    const cfg: LabConfig = labConfigSchema.parse(defaults());
    expect(senderSizeById(cfg, "c4-r16")).toMatchObject({ id: "c4-r16", vcpu: 4, ramGiB: 16 });
    expect(() => senderSizeById(cfg, "c3-r9")).toThrow("unknown sender size 'c3-r9'; allowed: c2-r4, c4-r16, c8-r32, c16-r64 (lab-config/lab.yaml: sender.sizes)");
  });
});

describe("resolving overrides", () => {
  const OPERATOR = { "kumolab:operatorCidr": "198.18.0.7/32" };
  const resolve = (overrides: Mapping) => resolveLabConfig(readYamlFile(DEFAULTS_FILE), { ...OPERATOR, ...overrides }, "lab.yaml", "stack t");

  test("keys of other namespaces change nothing, not even a key of the same name", () => {
    const plain = resolve({});
    const withOthers = resolve({ "aws:region": "eu-west-1", "azure-native:location": "northeurope", "pulumi:disable-default-providers": '["*"]', "kumolabx:trials.count": "9" });
    expect(withOthers.config).toEqual(plain.config);
    expect(withOthers.sources).toEqual(plain.sources);
  });

  test("a key without a namespace is a kumolab key; the part after the first ':' is the key", () => {
    expect(resolve({ "trials.count": "3" }).config.trials.count).toBe(3);
    expect(resolve({ "trials.count": "3" }).sources["trials.count"]).toEqual({ kind: "override", origin: "stack t", key: "trials.count" });
    expect(() => resolve({ "kumolab:trials:count": "3" })).toThrow(LabConfigError);
  });

  test("an empty key is refused with the key as given", () => {
    for (const key of ["kumolab:", "kumolab:.", "kumolab:.."]) {
      let issues: string[] = [];
      try {
        resolve({ [key]: "1" });
      } catch (e) {
        if (e instanceof LabConfigError) issues = e.issues;
      }
      expect(issues, key).toEqual([`${key}: empty key`]);
    }
  });

  test("a --path mapping merges; what it replaced is attributed to it, its siblings stay defaults", () => {
    const { config, sources } = resolve({ "kumolab:sink": '{"smtpPort":2526}' });
    expect(config.sink.smtpPort).toBe(2526);
    expect(config.sink.vmSize).toBe("Standard_F8s_v2");
    expect(sources["sink.smtpPort"]).toEqual({ kind: "override", origin: "stack t", key: "kumolab:sink" });
    expect(sources["sink.vmSize"]).toEqual({ kind: "default", file: "lab.yaml" });
    expect(sources["sink"]).toBeUndefined();
  });

  test("a list replaces the list and all that was under it; a key sharing a prefix is untouched", () => {
    const sizes = [{ id: "g4-r8", instanceType: "c7g.xlarge", vcpu: 4, ramGiB: 8, arch: "arm64" }];
    const { config, sources } = resolve({ "kumolab:sender.sizes": JSON.stringify(sizes), "kumolab:sender.size": "g4-r8" });
    expect(config.sender.sizes).toEqual(sizes);
    expect(Object.keys(sources).filter((k) => k.startsWith("sender."))).toEqual(["sender.sizes", "sender.size"]);
    expect(sources["sender.size"]).toEqual({ kind: "override", origin: "stack t", key: "kumolab:sender.size" });
  });

  test("a key under a section that does not exist is an unknown key, not a crash", () => {
    let issues: string[] = [];
    try {
      resolve({ "kumolab:nosuch.key": "1" });
    } catch (e) {
      expect(e).toBeInstanceOf(LabConfigError);
      expect((e as LabConfigError).name).toBe("LabConfigError");
      issues = (e as LabConfigError).issues;
    }
    expect(issues).toEqual(['nosuch: unknown key (value {"key":1}); check its spelling against lab-config/lab.yaml']);
  });

  test("an empty mapping replaces the section it names (the schema then names what is missing)", () => {
    let issues: string[] = [];
    try {
      resolve({ "kumolab:trials": "{}" });
    } catch (e) {
      if (e instanceof LabConfigError) issues = e.issues;
    }
    expect(issues).toEqual([expect.stringMatching(/^trials\.count = \(missing\): /), expect.stringMatching(/^trials\.coolDownSeconds = \(missing\): /)]);
  });

  test("override values: JSON text is parsed, anything else kept as given", () => {
    expect(parseOverrideValue(" 5 ")).toBe(5);
    expect(parseOverrideValue("[1,2]")).toEqual([1, 2]);
    expect(parseOverrideValue("null")).toBeNull();
    expect(parseOverrideValue("")).toBe("");
    expect(parseOverrideValue("  ")).toBe("  ");
    expect(parseOverrideValue("{bad")).toBe("{bad");
    expect(parseOverrideValue(" westus2 ")).toBe(" westus2 ");
    expect(parseOverrideValue(null)).toBeNull();
  });

  test("defaults that are not a mapping are refused before anything else", () => {
    for (const bad of [null, [], "text", 3]) {
      expect(() => resolveLabConfig(bad, {}, "lab.yaml", "stack t"), JSON.stringify(bad)).toThrow(
        "invalid lab config (lab.yaml):\n  - (root): lab.yaml must hold a mapping of keys\nFix the value in lab-config/lab.yaml or with 'pulumi config set kumolab:<key> <value>'; nothing was created.",
      );
    }
  });

  test("a failed validation names both sources and each issue on its own line", () => {
    try {
      resolve({ "kumolab:trials.count": "0", "kumolab:ssh.user": "Root" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LabConfigError);
      const err = e as LabConfigError;
      expect(err.where).toBe("lab.yaml + stack t");
      expect(err.issues).toHaveLength(2);
      expect(err.message).toMatch(/^invalid lab config \(lab\.yaml \+ stack t\):\n  - .+\n  - .+\nFix the value/);
    }
  });
});

describe("formatConfigIssues", () => {
  const formatted = (input: unknown): string[] => {
    const r = labConfigSchema.safeParse(input);
    if (r.success) return [];
    return formatConfigIssues(r.error, input);
  };

  test("unknown keys: one line each, with the value; a missing value says so; the root is named", () => {
    const d = defaults();
    expect(formatted({ ...d, extraA: 1, extraB: { x: null } })).toEqual([
      "extraA: unknown key (value 1); check its spelling against lab-config/lab.yaml",
      'extraB: unknown key (value {"x":null}); check its spelling against lab-config/lab.yaml',
    ]);
    const { trials: _, ...noTrials } = d;
    expect(formatted(noTrials)).toEqual([expect.stringMatching(/^trials = \(missing\): /)]);
    expect(formatted({ ...d, trials: null })).toEqual([expect.stringMatching(/^trials = null: /)]);
    expect(formatted({ ...d, ssh: null, trials: { ...(d.trials as Mapping), count: 0 } })).toEqual([
      expect.stringMatching(/^trials\.count = 0: /),
      expect.stringMatching(/^ssh = null: /),
    ]);
    expect(formatted("text")).toEqual([expect.stringMatching(/^\(root\) = "text": /)]);
  });

  test("a nested unknown key is named by its dotted path", () => {
    const d = defaults();
    expect(formatted({ ...d, traffic: { ...(d.traffic as Mapping), concurency: 5 } })).toEqual([
      "traffic.concurency: unknown key (value 5); check its spelling against lab-config/lab.yaml",
    ]);
  });

  test("a scalar where a mapping belongs is shown as is", () => {
    const d = defaults();
    expect(formatted({ ...d, sink: 5 })).toEqual([expect.stringMatching(/^sink = 5: /)]);
  });
});
