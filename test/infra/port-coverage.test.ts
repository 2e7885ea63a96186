/**
 * The policy pack's port and address arithmetic, case by case. Expected values are written by hand
 * from AWS's and Azure's documented rule formats:
 * - AWS: protocol "-1"/"all" means every protocol and ignores the ports; 6 is TCP's IANA protocol number.
 * - Azure: a port spec is "*", one port ("25") or an inclusive range ("20-30"); "*"/"Any" protocols include TCP.
 * Unknown or unreadable values must count as covering (fail closed), never as safe.
 */
import { describe, expect, test } from "vitest";
import { awsProtocolIncludesTcp, awsRuleCoversPort, azurePortSpecCovers, azurePortsCover, azureProtocolIncludesTcp, isWorld, SMTP_PORTS, SSH_PORT } from "../../policy-pack/port-coverage";

describe("the ports the pack guards", () => {
  test("SMTP 25, submissions 465 (RFC 8314), submission 587 (RFC 6409); SSH 22", () => {
    expect(SMTP_PORTS).toEqual([25, 465, 587]);
    expect(SSH_PORT).toBe(22);
  });
});

describe("awsProtocolIncludesTcp", () => {
  test.each([
    ["tcp", true],
    ["TCP", true],
    ["6", true],
    [6, true],
    ["-1", true],
    [-1, true],
    ["all", true],
    ["ALL", true],
    [undefined, true],
    ["udp", false],
    ["17", false],
    [17, false],
    ["icmp", false],
    ["", false],
  ])("%j → %s", (protocol, expected) => {
    expect(awsProtocolIncludesTcp(protocol)).toBe(expected);
  });
});

describe("awsRuleCoversPort", () => {
  test.each([
    // [protocol, from, to, port, covers]
    ["tcp", 25, 25, 25, true],
    ["tcp", 25, 30, 25, true],
    ["tcp", 20, 25, 25, true],
    ["tcp", 26, 30, 25, false],
    ["tcp", 20, 24, 25, false],
    ["tcp", 100, 200, 25, false],
    ["udp", 25, 25, 25, false],
    ["17", 0, 65535, 25, false],
    // every protocol: the ports do not matter
    ["all", 443, 443, 25, true],
    ["ALL", 443, 443, 25, true],
    ["-1", 443, 443, 25, true],
    [-1, 443, 443, 25, true],
    // the protocol unknown at preview: the worst is assumed, ports included
    [undefined, 443, 443, 25, true],
    // a port unknown at preview
    ["tcp", undefined, 443, 25, true],
    ["tcp", 443, undefined, 25, true],
    ["tcp", undefined, undefined, 25, true],
    // tcp 0-0 is read as every port by some tools; 0-24 and 5-0 are not
    ["tcp", 0, 0, 25, true],
    ["tcp", 0, 24, 25, false],
    ["tcp", 5, 0, 25, false],
  ] as const)("%j %j-%j covers %j: %s", (protocol, from, to, port, expected) => {
    expect(awsRuleCoversPort(protocol, from, to, port)).toBe(expected);
  });
});

describe("azureProtocolIncludesTcp", () => {
  test.each([
    ["Tcp", true],
    ["TCP", true],
    ["*", true],
    ["Any", true],
    [undefined, true],
    ["Udp", false],
    ["Icmp", false],
    ["Esp", false],
  ])("%j → %s", (protocol, expected) => {
    expect(azureProtocolIncludesTcp(protocol)).toBe(expected);
  });
});

describe("azurePortSpecCovers", () => {
  test.each([
    ["*", 25, true],
    [" * ", 25, true],
    ["25", 25, true],
    [" 25 ", 25, true],
    ["26", 25, false],
    ["2525", 25, false],
    ["25-30", 25, true],
    ["20-25", 25, true],
    ["20-30", 19, false],
    ["20-30", 31, false],
    ["20 - 30", 25, true],
    ["20 - 30", 31, false],
    ["100-200", 25, false],
    ["100-200", 150, true],
    // unparseable: fail closed
    ["smtp", 25, true],
    ["", 25, true],
    ["x20-30", 31, true],
    ["20-30x", 31, true],
    ["x26", 25, true],
    ["26x", 25, true],
    ["20--30", 31, true],
  ])("%j covers %j: %s", (spec, port, expected) => {
    expect(azurePortSpecCovers(spec, port)).toBe(expected);
  });
});

describe("azurePortsCover", () => {
  test("no port field at all means every port", () => {
    expect(azurePortsCover(undefined, undefined, 25)).toBe(true);
    expect(azurePortsCover(undefined, [], 25)).toBe(true);
  });

  test("the single range and the list are both read", () => {
    expect(azurePortsCover("443", undefined, 25)).toBe(false);
    expect(azurePortsCover(undefined, ["443", "8000-9000"], 25)).toBe(false);
    expect(azurePortsCover("443", ["25"], 25)).toBe(true);
    expect(azurePortsCover("25", ["443"], 25)).toBe(true);
    expect(azurePortsCover(undefined, ["443", "20-30"], 25)).toBe(true);
  });
});

describe("isWorld", () => {
  test.each(["*", "0.0.0.0/0", "::/0", "Internet", "INTERNET", "any", "Any", "0.0.0.0", " 0.0.0.0/0 "])("%j is the world", (prefix) => {
    expect(isWorld(prefix)).toBe(true);
  });

  // World-equivalent: half the internet, host bits under a /0 (RFC 4632 §3.1: the prefix alone says which addresses), IPv6 zeros written out.
  test.each(["0.0.0.0/1", "128.0.0.0/1", "1.2.3.4/0", "::0/0", "0:0:0:0:0:0:0:0/0", "2000::/3", "10.0.0.0/7"])("%j is world-equivalent", (prefix) => {
    expect(isWorld(prefix)).toBe(true);
  });

  test.each(["198.18.0.7/32", "10.0.0.0/8", "VirtualNetwork", "2001:db8::/32", "2000::/16", ""])("%j is not", (prefix) => {
    expect(isWorld(prefix)).toBe(false);
  });
});
