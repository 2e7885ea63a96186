/** The lab's pure decisions on their own: tags and lab id, AMI filter, image, operator CIDR (firewall rules: firewall-rules.test.ts). */
import { describe, expect, test } from "vitest";
import { amiFilter, CANONICAL_OWNER_ID } from "../../infra/ami";
import { azureImageReference } from "../../infra/azure-image";
import { operatorCidrFromLookup, resolveOperatorCidr, type FetchText } from "../../infra/operator-cidr";
import { awsTags, expiresAt, labIdFor, labTags } from "../../infra/tags";
import { labConfig } from "./lab-fixture";

describe("tags and lab id", () => {
  test("expiresAt is creation + TTL", () => {
    expect(expiresAt("2026-03-01T12:00:00Z", 4)).toBe("2026-03-01T16:00:00.000Z");
    expect(expiresAt("2026-03-01T23:30:00Z", 1.5)).toBe("2026-03-02T01:00:00.000Z");
    expect(() => expiresAt("yesterday", 4)).toThrow(/not an ISO 8601 time/);
  });

  test("lab tags and the AWS Name tag", () => {
    const tags = labTags({ labId: "kumolab-dev", createdBy: "ana", createdAt: "2026-03-01T12:00:00Z", ttlHours: 4 });
    expect(tags).toEqual({ labId: "kumolab-dev", createdBy: "ana", createdAt: "2026-03-01T12:00:00.000Z", expiresAt: "2026-03-01T16:00:00.000Z", managedBy: "kumolab" });
    expect(awsTags(tags, "vpc")).toMatchObject({ ...tags, Name: "kumolab-dev-vpc" });
    // Azure refuses these characters in tag names.
    for (const k of Object.keys(tags)) expect(k).not.toMatch(/[<>%&\\?/]/);
  });

  test("lab id: stable, lower-case, cloud-safe", () => {
    expect(labIdFor("kumolab", "dev")).toBe("kumolab-dev");
    expect(labIdFor("kumolab", "Ana/Graviton Test")).toBe("kumolab-ana-graviton-test");
    // 40 characters: "kumolab-" (8) and 32 x's.
    expect(labIdFor("kumolab", "x".repeat(80))).toBe("kumolab-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    // Cut at 40 on a dash: the dash goes too ("kumolab-" + 31 a's + "-" is 40 characters).
    expect(labIdFor("kumolab", `${"a".repeat(31)}-bbbb`)).toBe(`kumolab-${"a".repeat(31)}`);
    expect(labIdFor("kumolab", "--Dev__Box--")).toBe("kumolab-dev-box");
    expect(() => labIdFor("", "!!!")).toThrow(/cannot derive a lab id from project '' and stack '!!!'/);
  });
});

describe("images", () => {
  test("AMI filter: Canonical only, the release and architecture in the name and as a filter", () => {
    expect(amiFilter("ubuntu-22.04", "x86_64")).toEqual({
      owners: [CANONICAL_OWNER_ID],
      mostRecent: true,
      filters: [
        { name: "name", values: ["ubuntu/images/hvm-ssd*/ubuntu-jammy-22.04-amd64-server-*"] },
        { name: "architecture", values: ["x86_64"] },
        { name: "virtualization-type", values: ["hvm"] },
        { name: "root-device-type", values: ["ebs"] },
      ],
    });
    const arm = amiFilter("ubuntu-20.04", "arm64");
    expect(arm.filters?.[0]?.values).toEqual(["ubuntu/images/hvm-ssd*/ubuntu-focal-20.04-arm64-server-*"]);
    expect(arm.filters?.[1]?.values).toEqual(["arm64"]);
  });

  test("Azure image reference per release", () => {
    expect(azureImageReference("ubuntu-22.04")).toMatchObject({ publisher: "Canonical", sku: "22_04-lts-gen2" });
    expect(azureImageReference("ubuntu-20.04")).toMatchObject({ offer: "0001-com-ubuntu-server-focal" });
  });
});

describe("operator CIDR", () => {
  const auto = labConfig({ "kumolab:operatorCidr": "auto", "kumolab:operatorIpLookupUrl": "https://checkip.example.invalid/" });
  const answering =
    (body: string): FetchText =>
    async () =>
      body;

  test("an explicit CIDR is used as is, without any lookup", async () => {
    const never: FetchText = () => Promise.reject(new Error("must not be called"));
    expect(await resolveOperatorCidr(labConfig({ "kumolab:operatorCidr": "198.18.0.0/24" }), never)).toBe("198.18.0.0/24");
  });

  test("auto: the looked-up IPv4 becomes a /32; the configured URL and a timeout are used", async () => {
    const seen: [string, number][] = [];
    const fetchText: FetchText = async (url, timeoutMs) => {
      seen.push([url, timeoutMs]);
      return "198.18.0.99\n";
    };
    expect(await resolveOperatorCidr(auto, fetchText)).toBe("198.18.0.99/32");
    expect(seen).toEqual([["https://checkip.example.invalid/", 10_000]]);
  });

  test("auto: an answer that is not an IPv4 address is refused with what to do", async () => {
    await expect(resolveOperatorCidr(auto, answering("<html>hello</html>"))).rejects.toThrow(/answered '<html>hello<\/html>', not a bare IPv4 address; set kumolab:operatorCidr/);
    expect(() => operatorCidrFromLookup("256.1.1.1", "u")).toThrow(/not a bare IPv4/);
    expect(() => operatorCidrFromLookup("2001:db8::1", "u")).toThrow(/not a bare IPv4/);
  });

  test("auto: a failed lookup names the URL and says nothing was created", async () => {
    const failing: FetchText = () => Promise.reject(new Error("The operation was aborted due to timeout"));
    await expect(resolveOperatorCidr(auto, failing, 50)).rejects.toThrow(
      /looking up your public IP at https:\/\/checkip\.example\.invalid\/ failed \(The operation was aborted due to timeout, timeout 50 ms\).*nothing was created/,
    );
  });
});
