import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderSenderPolicy, renderSinkPolicy, renderTemplate, policyInputs } from "../../scripts/provision/policies";
import { SENDER_SUBMISSION_ADDRESS, SINK_HTTP_LISTEN, SENDER_HTTP_LISTEN } from "../../scripts/provision/lab-endpoints";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kumolab-policy-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function luacCheck(name: string, text: string): { status: number | null; stderr: string } {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  const r = spawnSync("luac5.4", ["-p", f], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

const inputs = { sinkPort: 2525, sinkAddress: "198.18.7.11", senderAddress: "198.18.7.10" };

describe("policy templates", () => {
  it("renders a sink policy that is valid Lua, listens on the sink port and 25, relays only for the sender, discards", () => {
    const lua = renderSinkPolicy(inputs);
    expect(luacCheck("sink.lua", lua)).toEqual({ status: 0, stderr: "" });
    expect(lua).toContain("listen = '0.0.0.0:2525'");
    expect(lua).toContain("listen = '0.0.0.0:25'");
    expect(lua).toContain("'198.18.7.10/32'");
    expect(lua).not.toContain("0.0.0.0/0");
    expect(lua).toContain(`listen = '${SINK_HTTP_LISTEN}'`);
    expect(lua.match(/set_meta\('queue', 'null'\)/g)).toHaveLength(2);
    expect(lua.match(/name = '(data|meta)'/g)).toHaveLength(2);
    expect(lua).not.toMatch(/\{\{/);
  });

  it("renders a sender policy that is valid Lua and routes everything to [SINK] on the sink port", () => {
    const lua = renderSenderPolicy(inputs);
    expect(luacCheck("init.lua", lua)).toEqual({ status: 0, stderr: "" });
    expect(lua).toContain("local SINK_QUEUE = '[198.18.7.11]'");
    expect(lua).toContain("local SINK_MX = '198.18.7.11:2525'");
    expect(lua).toContain(`listen = '${SENDER_SUBMISSION_ADDRESS}'`);
    expect(lua).toContain(`listen = '${SENDER_HTTP_LISTEN}'`);
    expect(lua).toContain("kumo.make_queue_config");
  });

  it("formats IPv6 as KumoMTA literals", () => {
    const lua = renderSenderPolicy({ sinkPort: 2525, sinkAddress: "2001:db8::7", senderAddress: "2001:db8::6" });
    expect(lua).toContain("'[IPv6:2001:db8::7]'");
    expect(lua).toContain("'[2001:db8::7]:2525'");
    expect(luacCheck("init6.lua", lua).status).toBe(0);
    expect(renderSinkPolicy({ sinkPort: 2525, sinkAddress: "2001:db8::7", senderAddress: "2001:db8::6" })).toContain("'2001:db8::6/128'");
  });

  it("refuses values that are not IPs or ports, and Lua injection", () => {
    expect(() => renderSenderPolicy({ ...inputs, sinkAddress: "sink.example.com" })).toThrow(/IP address/);
    expect(() => renderSinkPolicy({ ...inputs, senderAddress: "1.2.3.4'; os.execute('x" })).toThrow(/IP address/);
    expect(() => renderSinkPolicy({ ...inputs, sinkPort: 70000 })).toThrow(/port/);
    expect(() => renderSinkPolicy({ ...inputs, sinkPort: 25 })).toThrow(/25/);
    expect(() => renderTemplate("x = '{{A}}'", { A: "a'b" }, "t")).toThrow(/not allowed/);
  });

  it("refuses unknown or unfilled placeholders", () => {
    expect(() => renderTemplate("x = '{{A}}' y = '{{B}}'", { A: "1" }, "t")).toThrow(/no value for \{\{B\}\}/);
    expect(() => renderTemplate("x = '{{A}}'", { A: "1", C: "2" }, "t")).toThrow(/has no \{\{C\}\}/);
  });

  it("takes the sender's address as the sink sees it, else the sender's SSH address", () => {
    const base = { sinkAddressFromSender: "198.18.7.11", sinkPort: 2525, sender: { address: "198.18.7.10" } } as unknown as LabHosts;
    expect(policyInputs(base).senderAddress).toBe("198.18.7.10");
    expect(policyInputs({ ...base, senderAddressFromSink: "203.0.113.9" }).senderAddress).toBe("203.0.113.9");
    expect(() => policyInputs({ ...base, sender: { address: "sender.example.com" } } as unknown as LabHosts)).toThrow(/senderAddressFromSink/);
  });
});
