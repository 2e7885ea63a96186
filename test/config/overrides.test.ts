/** How `pulumi config` values reach the lab config: JSON text, dotted keys, `--path` objects, provenance. */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { resolveStackConfig } from "../../infra/config";
import { readYamlFile } from "../../lab-config/load";
import { parseOverrideValue, resolveLabConfig } from "../../lab-config/resolve";
import { labConfigSchema } from "../../lab-config/schema";

const DEFAULTS = path.resolve(__dirname, "../../lab-config/lab.yaml");

describe("the defaults file", () => {
  test("validates against the schema with the published run's values", () => {
    const parsed = labConfigSchema.parse(readYamlFile(DEFAULTS));
    expect(parsed.sender.sizes.map((s) => [s.vcpu, s.ramGiB])).toEqual([
      [2, 4],
      [4, 16],
      [8, 32],
      [16, 64],
    ]);
    expect(parsed.sink).toMatchObject({ vmSize: "Standard_F8s_v2", smtpPort: 2525 });
    expect(parsed.traffic).toMatchObject({ concurrency: 20000, messageCount: 100000, bodySize: 100_000 });
    expect(parsed.trials).toEqual({ count: 4, coolDownSeconds: 120 });
    expect(parsed.operatorCidr).toBe("auto");
    expect(parsed.allowWorldOpenOperatorCidr).toBe(false);
  });
});

describe("override values", () => {
  test("JSON text becomes its value, other text stays text", () => {
    expect(parseOverrideValue("5000")).toBe(5000);
    expect(parseOverrideValue("true")).toBe(true);
    expect(parseOverrideValue('{"a":1}')).toEqual({ a: 1 });
    expect(parseOverrideValue("us-east-1")).toBe("us-east-1");
    expect(parseOverrideValue(7)).toBe(7);
  });

  test("dotted keys address nested values; other namespaces are ignored", () => {
    const { config } = resolveStackConfig(
      { "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:sender.size": "c8-r32", "kumolab:traffic.bodySize": "60kb", "aws:region": "eu-west-1" },
      "dev",
      DEFAULTS,
    );
    expect(config.sender.size).toBe("c8-r32");
    expect(config.traffic.bodySize).toBe(60_000);
    expect(config.aws.region).toBe("us-west-2"); // aws:region belongs to the provider, not the lab
  });

  test("a `pulumi config set --path` object merges into the defaults instead of replacing them", () => {
    const { config, sources } = resolveStackConfig({ "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:traffic": '{"concurrency":5000}' }, "dev", DEFAULTS);
    expect(config.traffic.concurrency).toBe(5000);
    expect(config.traffic.messageCount).toBe(100000);
    expect(sources["traffic.concurrency"]).toEqual({ kind: "override", origin: "stack dev", key: "kumolab:traffic" });
    expect(sources["traffic.messageCount"]).toEqual({ kind: "default", file: "lab-config/lab.yaml" });
  });

  test("a structured value (JSON list) replaces the list", () => {
    const sizes = [{ id: "g4-r8", instanceType: "c7g.xlarge", vcpu: 4, ramGiB: 8, arch: "arm64", hourlyUsd: 0.145 }];
    const { config, sources } = resolveStackConfig(
      { "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:sender.sizes": JSON.stringify(sizes), "kumolab:sender.size": "g4-r8" },
      "arm",
      DEFAULTS,
    );
    expect(config.sender.sizes).toEqual(sizes);
    expect(sources["sender.sizes"]).toEqual({ kind: "override", origin: "stack arm", key: "kumolab:sender.sizes" });
  });

  test("provenance: every leaf is attributed to the defaults file or to the override that set it", () => {
    const { sources } = resolveStackConfig({ "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:trials.count": "3" }, "dev", DEFAULTS);
    expect(sources["trials.count"]).toEqual({ kind: "override", origin: "stack dev", key: "kumolab:trials.count" });
    expect(sources["trials.coolDownSeconds"]).toEqual({ kind: "default", file: "lab-config/lab.yaml" });
    expect(sources["operatorCidr"]).toMatchObject({ kind: "override", key: "kumolab:operatorCidr" });
    expect(sources["sink.vmSize"]).toMatchObject({ kind: "default" });
  });

  test("typed values from a stack file work as well as strings", () => {
    const defaults = readYamlFile(DEFAULTS);
    const { config } = resolveLabConfig(defaults, { "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:trials": { count: 2 } }, "lab.yaml", "stack file");
    expect(config.trials).toEqual({ count: 2, coolDownSeconds: 120 });
  });
});

describe("secret values", () => {
  test("a value set with --secret ({ secure: … } in Pulumi.<stack>.yaml) is refused with what to do", async () => {
    const { resolveLabConfig, LabConfigError } = await import("../../lab-config/resolve");
    const { readYamlFile, DEFAULTS_FILE } = await import("../../lab-config/load");
    let err: unknown;
    try {
      resolveLabConfig(readYamlFile(DEFAULTS_FILE), { "kumolab:traffic.concurrency": { secure: "v1:abc" } }, "lab.yaml", "stack dev");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabConfigError);
    expect((err as InstanceType<typeof LabConfigError>).issues).toEqual([
      "kumolab:traffic.concurrency: is a secret (pulumi config set --secret), which the lab config does not take — nothing in it is secret; set it in plain text: pulumi config set kumolab:traffic.concurrency <value>",
    ]);
  });
});
