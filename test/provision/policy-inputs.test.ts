/** What the policy renderer refuses before anything reaches a host: ports, addresses, counts, retry order. */
import { describe, expect, test } from "vitest";
import { domainLiteral, renderSenderPolicy, renderSinkPolicy, type SenderDelivery } from "../../scripts/provision/policies";

const inputs = { sinkPort: 2525, sinkAddress: "198.18.0.20", senderAddress: "198.18.0.10" };
const delivery: SenderDelivery = { egressTls: "disabled", retryIntervalSeconds: 10, maxRetryIntervalSeconds: 60, maxReady: 1024, connectionLimit: 32 };

describe("ports", () => {
  test.each([0, -1, 65536, 2525.5])("sink port %d is refused by both policies", (port) => {
    expect(() => renderSinkPolicy({ ...inputs, sinkPort: port })).toThrow(`sinkPort must be a port 1..65535, got ${port}`);
    expect(() => renderSenderPolicy({ ...inputs, sinkPort: port }, delivery)).toThrow(`sinkPort must be a port 1..65535, got ${port}`);
  });

  test.each([1, 65535, 2525])("sink port %d is rendered", (port) => {
    expect(renderSinkPolicy({ ...inputs, sinkPort: port })).toContain(String(port));
    expect(renderSenderPolicy({ ...inputs, sinkPort: port }, delivery)).toContain(String(port));
  });
});

describe("addresses", () => {
  test("an address that is not an IP, or an IPv6 one, is refused with its role", () => {
    expect(() => renderSinkPolicy({ ...inputs, senderAddress: "sender.example" })).toThrow('sender address must be an IP address (routing uses an [IP] literal), got "sender.example"');
    expect(() => renderSenderPolicy({ ...inputs, sinkAddress: "sink.example" }, delivery)).toThrow('sink address must be an IP address (routing uses an [IP] literal), got "sink.example"');
    expect(() => renderSenderPolicy({ ...inputs, sinkAddress: "2001:db8::7" }, delivery)).toThrow(/^sink address is the IPv6 address "2001:db8::7": the lab is IPv4 only/);
  });

  test("domain literals as RFC 5321 §4.1.3 writes them", () => {
    expect(domainLiteral("198.18.0.20")).toBe("[198.18.0.20]");
    expect(domainLiteral("2001:db8::7")).toBe("[IPv6:2001:db8::7]");
    expect(() => domainLiteral("sink")).toThrow('not an IP address: "sink"');
    expect(renderSenderPolicy(inputs, delivery)).toContain("[198.18.0.20]");
  });
});

describe("delivery settings", () => {
  test("max_ready and connection_limit must be whole numbers of at least 1", () => {
    expect(() => renderSenderPolicy(inputs, { ...delivery, maxReady: 0 })).toThrow("kumomta.maxReady must be a whole number ≥ 1, got 0");
    expect(() => renderSenderPolicy(inputs, { ...delivery, connectionLimit: 1.5 })).toThrow("kumomta.connectionLimit must be a whole number ≥ 1, got 1.5");
    expect(renderSenderPolicy(inputs, { ...delivery, maxReady: 1, connectionLimit: 1 })).toContain("1");
  });

  test("the max retry interval may equal the retry interval, not go below it", () => {
    expect(() => renderSenderPolicy(inputs, { ...delivery, retryIntervalSeconds: 60, maxRetryIntervalSeconds: 60 })).not.toThrow();
    expect(() => renderSenderPolicy(inputs, { ...delivery, retryIntervalSeconds: 60, maxRetryIntervalSeconds: 59 })).toThrow(
      "kumomta.maxRetryIntervalSeconds (59) is below kumomta.retryIntervalSeconds (60)",
    );
  });

  test("port 25 is refused with the reason for each side", () => {
    expect(() => renderSinkPolicy({ ...inputs, sinkPort: 25 })).toThrow("the sink port must not be 25 (the sink already listens there for the port-25 proof)");
    expect(() => renderSenderPolicy({ ...inputs, sinkPort: 25 }, delivery)).toThrow("the sink port must not be 25: the lab blocks outbound 25 on every host");
  });
});
