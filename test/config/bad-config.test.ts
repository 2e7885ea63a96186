/**
 * Bad lab configs, each with its specific error: the key path, the value and what is allowed.
 * Each case starts from the valid defaults (zod runs the cross-field checks only when every field
 * is valid, so a refinement is tested on an otherwise-valid config).
 */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { resolveStackConfig } from "../../infra/config";
import { LabConfigError } from "../../lab-config/resolve";

const DEFAULTS = path.resolve(__dirname, "../../lab-config/lab.yaml");
const OPERATOR = { "kumolab:operatorCidr": "198.18.0.7/32" };

function issuesOf(overrides: Record<string, string>): string[] {
  try {
    resolveStackConfig({ ...OPERATOR, ...overrides }, "test", DEFAULTS);
  } catch (e) {
    if (e instanceof LabConfigError) return e.issues;
    throw e;
  }
  throw new Error(`config was accepted: ${JSON.stringify(overrides)}`);
}

describe("bad configs name the key, the value and what is allowed", () => {
  test.each<[string, Record<string, string>, RegExp]>([
    ["world-open operatorCidr without opt-in", { "kumolab:operatorCidr": "0.0.0.0/0" }, /^operatorCidr = "0\.0\.0\.0\/0": .*opens SSH to the whole internet.*allowWorldOpenOperatorCidr: true/],
    ["IPv6 operatorCidr (the lab is IPv4-only)", { "kumolab:operatorCidr": "::/0" }, /^operatorCidr = "::\/0": .*IPv6, but the lab is IPv4-only/],
    ["operatorCidr that is not a CIDR", { "kumolab:operatorCidr": "my-laptop" }, /^operatorCidr = "my-laptop": /],
    ["operatorCidr with a bad prefix length", { "kumolab:operatorCidr": "198.18.0.7/33" }, /^operatorCidr = "198\.18\.0\.7\/33": /],
    ["unknown sender size id", { "kumolab:sender.size": "c3-r9" }, /^sender\.size = "c3-r9": unknown size id 'c3-r9'; allowed: c2-r4, c4-r16, c8-r32, c16-r64$/],
    ["zero concurrency", { "kumolab:traffic.concurrency": "0" }, /^traffic\.concurrency = 0: .*(>0|positive|greater)/i],
    ["negative message count", { "kumolab:traffic.messageCount": "-5" }, /^traffic\.messageCount = -5: /],
    ["zero trials", { "kumolab:trials.count": "0" }, /^trials\.count = 0: /],
    ["fractional concurrency", { "kumolab:traffic.concurrency": "2.5" }, /^traffic\.concurrency = 2\.5: .*int/i],
    ["body size with a bad unit", { "kumolab:traffic.bodySize": "100kib" }, /^traffic\.bodySize = "100kib": must be a byte count \(100000\) or a size with a unit b, kb or mb/],
    ["sink under 8 vCPU", { "kumolab:sink.vmSize": "Standard_F4s_v2" }, /^sink\.vmSize = "Standard_F4s_v2": Standard_F4s_v2 has 4 vCPUs; the sink needs at least 8/],
    ["unknown sink size", { "kumolab:sink.vmSize": "Standard_B1s" }, /^sink\.vmSize = "Standard_B1s": unknown Azure VM size 'Standard_B1s'; known: .*Standard_F8s_v2/],
    ["sink port 25", { "kumolab:sink.smtpPort": "25" }, /^sink\.smtpPort = 25: the sink port must not be 25, 465 or 587/],
    ["sink port out of range", { "kumolab:sink.smtpPort": "70000" }, /^sink\.smtpPort = 70000: /],
    ["unknown top-level key", { "kumolab:operatorCdir": "198.18.0.7/32" }, /^operatorCdir: unknown key \(value "198\.18\.0\.7\/32"\); check its spelling against lab-config\/lab\.yaml$/],
    ["unknown nested key", { "kumolab:traffic.concurency": "5" }, /^traffic\.concurency: unknown key \(value 5\)/],
    ["bad AWS region", { "kumolab:aws.region": "Oregon" }, /^aws\.region = "Oregon": must be an AWS region such as us-west-2$/],
    ["bad Azure location", { "kumolab:azure.location": "West US 2" }, /^azure\.location = "West US 2": must be an Azure location such as westus2$/],
    ["unknown KumoMTA channel", { "kumolab:kumomta.channel": "nightly" }, /^kumomta\.channel = "nightly": /],
    ["unsupported OS image", { "kumolab:os": "debian-12" }, /^os = "debian-12": /],
    // assets/build-deb.sh: the .deb version is %Y.%m.%d.%H%M%S.%h; the tag form is not an apt version.
    ["KumoMTA pinned by its release tag", { "kumolab:kumomta.version": "2025.01.29-833f82a8" }, /^kumomta\.version = "2025\.01\.29-833f82a8": .*is a release tag.*e\.g\. 2025\.01\.29\.123456\.833f82a8.*apt-cache madison kumomta/],
    ["KumoMTA pinned by a name", { "kumolab:kumomta.version": "latest" }, /^kumomta\.version = "latest": .*not a KumoMTA package version: use YYYY\.MM\.DD\.HHMMSS\.<hash>.*apt-cache madison kumomta/],
    ["KumoMTA pinned with an impossible time", { "kumolab:kumomta.version": "2025.01.29.256099.833f82a8" }, /^kumomta\.version = "2025\.01\.29\.256099\.833f82a8": .*not a KumoMTA package version/],
    ["kumod's default egress TLS (fails against a self-signed sink)", { "kumolab:kumomta.egressTls": "opportunistic" }, /^kumomta\.egressTls = "opportunistic": .*opportunistic-insecure.*disabled/],
    ["a max retry interval below the retry interval", { "kumolab:kumomta.retryIntervalSeconds": "30", "kumolab:kumomta.maxRetryIntervalSeconds": "10" }, /^kumomta\.maxRetryIntervalSeconds = 10: must be at least retryIntervalSeconds \(30\)$/],
    ["zero max_ready", { "kumolab:kumomta.maxReady": "0" }, /^kumomta\.maxReady = 0: /],
    ["a KUMOD_LOG that is not a filter", { "kumolab:kumomta.logFilter": "debug; rm -rf /" }, /^kumomta\.logFilter = "debug; rm -rf \/": must be tracing filter directives/],
    ["TTL over a week", { "kumolab:lab.ttlHours": "500" }, /^lab\.ttlHours = 500: /],
    ["non-http lookup URL", { "kumolab:operatorIpLookupUrl": "ftp://example.invalid/ip" }, /^operatorIpLookupUrl = "ftp:\/\/example\.invalid\/ip": /],
    [
      "duplicate size ids",
      {
        "kumolab:sender.sizes": JSON.stringify([
          { id: "c2-r4", instanceType: "c5.large", vcpu: 2, ramGiB: 4, arch: "x86_64" },
          { id: "c2-r4", instanceType: "c6i.large", vcpu: 2, ramGiB: 4, arch: "x86_64" },
        ]),
      },
      /^sender\.sizes\.1\.id = "c2-r4": duplicate size id 'c2-r4'$/,
    ],
    [
      "a size with an unknown architecture",
      { "kumolab:sender.sizes": JSON.stringify([{ id: "c2-r4", instanceType: "c5.large", vcpu: 2, ramGiB: 4, arch: "amd64" }]) },
      /^sender\.sizes\.0\.arch = "amd64": /,
    ],
    ["ssh user that is not a Unix name", { "kumolab:ssh.user": "Admin User" }, /^ssh\.user = "Admin User": must be a Unix user name$/],
  ])("%s", (_what, overrides, expected) => {
    const issues = issuesOf(overrides);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(expected);
  });

  test("the error message says nothing was created and how to fix it", () => {
    try {
      resolveStackConfig({ ...OPERATOR, "kumolab:sink.smtpPort": "587" }, "dev", DEFAULTS);
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(LabConfigError);
      const msg = (e as Error).message;
      expect(msg).toContain("lab-config/lab.yaml + stack dev");
      expect(msg).toContain("sink.smtpPort = 587");
      expect(msg).toContain("nothing was created");
    }
  });

  test("several problems are all reported, each on its own line", () => {
    const issues = issuesOf({ "kumolab:traffic.concurrency": "0", "kumolab:aws.region": "Oregon" });
    expect(issues.map((i) => i.split(" ")[0]).sort()).toEqual(["aws.region", "traffic.concurrency"]);
  });

  test("an empty key is refused", () => {
    expect(issuesOf({ "kumolab:": "x" })).toEqual(["kumolab:: empty key"]);
  });
});

describe("accepted edge cases", () => {
  test("a world-open operatorCidr with the explicit opt-in is accepted", () => {
    const { config } = resolveStackConfig({ "kumolab:operatorCidr": "0.0.0.0/0", "kumolab:allowWorldOpenOperatorCidr": "true" }, "test", DEFAULTS);
    expect(config.operatorCidr).toBe("0.0.0.0/0");
    expect(config.allowWorldOpenOperatorCidr).toBe(true);
  });

  test("the default operatorCidr is auto", () => {
    expect(resolveStackConfig({}, "test", DEFAULTS).config.operatorCidr).toBe("auto");
  });
});
