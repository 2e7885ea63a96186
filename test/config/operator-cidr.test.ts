/**
 * The operator's range as the config accepts it: parsed and normalised, IPv6 refused (the lab is
 * IPv4-only), anything wider than a /16 only with the explicit opt-in, lookups over https only.
 * Expected network addresses worked by hand (RFC 4632 §3.1: the prefix length says which leading
 * bits name the network; the rest are cleared).
 */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { parseOperatorCidr } from "../../lab-config/cidr";
import { resolveStackConfig } from "../../infra/config";

const DEFAULTS = path.resolve(__dirname, "../../lab-config/lab.yaml");

function errorOf(overrides: Record<string, string>): string {
  try {
    resolveStackConfig(overrides, "test", DEFAULTS);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(overrides)}`);
}

describe("operatorCidr", () => {
  test.each([
    ["203.0.113.7/32", "203.0.113.7/32"],
    ["203.0.113.7/24", "203.0.113.0/24"],
    ["198.18.200.1/16", "198.18.0.0/16"],
    ["1.2.3.4/0", "0.0.0.0/0"],
    ["198.18.0.255/31", "198.18.0.254/31"],
    [" 198.18.0.7/32 ", "198.18.0.7/32"],
  ])("%j is normalised to %j", (text, cidr) => {
    expect(parseOperatorCidr(text)).toMatchObject({ ok: true, cidr });
  });

  test("a normalised range is what the config holds", () => {
    expect(resolveStackConfig({ "kumolab:operatorCidr": "198.18.7.9/24" }, "test", DEFAULTS).config.operatorCidr).toBe("198.18.7.0/24");
  });

  test.each(["2001:db8::7/128", "::/0", "::0/0"])("IPv6 %j is refused with the reason", (cidr) => {
    expect(errorOf({ "kumolab:operatorCidr": cidr })).toMatch(/IPv6, but the lab is IPv4-only .*give your IPv4 address as a \/32/);
  });

  test.each([
    ["0.0.0.0/1", /0\.0\.0\.0\/1 opens SSH to 2,147,483,648 addresses \(wider than a \/16\).*allowWorldOpenOperatorCidr: true/],
    ["1.2.3.4/0", /0\.0\.0\.0\/0 opens SSH to the whole internet/],
    ["10.0.0.0/8", /10\.0\.0\.0\/8 opens SSH to 16,777,216 addresses/],
    ["198.18.0.0/15", /198\.18\.0\.0\/15 opens SSH to 131,072 addresses/],
  ])("%j is refused without the opt-in", (cidr, message) => {
    expect(errorOf({ "kumolab:operatorCidr": cidr })).toMatch(message);
  });

  test("a /16 needs no opt-in; a wider range is accepted with it", () => {
    expect(resolveStackConfig({ "kumolab:operatorCidr": "198.18.0.0/16" }, "test", DEFAULTS).config.operatorCidr).toBe("198.18.0.0/16");
    const { config } = resolveStackConfig({ "kumolab:operatorCidr": "0.0.0.0/1", "kumolab:allowWorldOpenOperatorCidr": "true" }, "test", DEFAULTS);
    expect(config.operatorCidr).toBe("0.0.0.0/1");
  });

  test("the what's-my-IP lookup must be https", () => {
    expect(errorOf({ "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:operatorIpLookupUrl": "http://checkip.amazonaws.com" })).toMatch(
      /operatorIpLookupUrl = "http:\/\/checkip\.amazonaws\.com": must be an https:\/\/ URL/,
    );
  });
});
