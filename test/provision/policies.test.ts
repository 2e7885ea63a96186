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
const delivery = { egressTls: "opportunistic-insecure", retryIntervalSeconds: 5, maxRetryIntervalSeconds: 20, maxReady: 1024, connectionLimit: 32 } as const;

/**
 * Runs a rendered sender policy under lua5.4 with a recording `kumo` module and prints what its
 * handlers hand to kumod: the queue config for the sink's queue and the egress path to it.
 */
function senderPolicyResults(lua: string): Record<string, string> {
  const policy = path.join(tmp, `sender-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(policy, lua);
  const harness = `
    local h = {}
    local kumo = { on = function(e, f) h[e] = f end }
    for _, fn in ipairs({'define_spool','start_esmtp_listener','start_http_listener'}) do kumo[fn] = function() end end
    kumo.make_queue_config = function(t) return t end
    kumo.make_egress_path = function(t) return t end
    package.preload['kumo'] = function() return kumo end
    dofile(arg[1])
    h['init']()
    local meta = {}
    h['smtp_server_message_received']({ set_meta = function(_, k, v) meta[k] = v end })
    local q = h['get_queue_config'](meta.queue, nil, nil, nil)
    local e = h['get_egress_path_config'](meta.queue, 'unspecified', 'mx_list:' .. meta.queue)
    print('queue=' .. meta.queue)
    print('mx=' .. table.concat(q.protocol.smtp.mx_list, ','))
    print('retry_interval=' .. q.retry_interval)
    print('max_retry_interval=' .. q.max_retry_interval)
    print('smtp_port=' .. math.tointeger(e.smtp_port))
    print('enable_tls=' .. e.enable_tls)
    print('max_ready=' .. math.tointeger(e.max_ready))
    print('connection_limit=' .. math.tointeger(e.connection_limit))`;
  const harnessFile = path.join(tmp, "harness.lua");
  writeFileSync(harnessFile, harness);
  const r = spawnSync("lua5.4", [harnessFile, policy], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`lua: ${r.stderr}`);
  return Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

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
    const lua = renderSenderPolicy(inputs, delivery);
    expect(luacCheck("init.lua", lua)).toEqual({ status: 0, stderr: "" });
    expect(lua).toContain(`listen = '${SENDER_SUBMISSION_ADDRESS}'`);
    expect(lua).toContain(`listen = '${SENDER_HTTP_LISTEN}'`);
    // What kumod gets from the handlers. Expected values by hand: the domain literal, the port on
    // the egress path (a port inside mx_list only works since 2025.10.06), kumod's enum spelling
    // (crates/kumo-api-types/src/egress_path.rs `Tls`), humantime durations.
    expect(senderPolicyResults(lua)).toEqual({
      queue: "[198.18.7.11]",
      mx: "[198.18.7.11]",
      retry_interval: "5s",
      max_retry_interval: "20s",
      smtp_port: "2525",
      enable_tls: "OpportunisticInsecure",
      max_ready: "1024",
      connection_limit: "32",
    });
  });

  it("sets the lab's egress TLS mode and ready-queue limits, never leaving kumod's Opportunistic default", () => {
    const lua = renderSenderPolicy(inputs, { egressTls: "disabled", retryIntervalSeconds: 2, maxRetryIntervalSeconds: 60, maxReady: 5000, connectionLimit: 100 });
    expect(senderPolicyResults(lua)).toMatchObject({ enable_tls: "Disabled", retry_interval: "2s", max_retry_interval: "60s", max_ready: "5000", connection_limit: "100" });
    expect(() => renderSenderPolicy(inputs, { ...delivery, retryIntervalSeconds: 30, maxRetryIntervalSeconds: 10 })).toThrow(/maxRetryIntervalSeconds/);
    expect(() => renderSenderPolicy(inputs, { ...delivery, maxReady: 0 })).toThrow(/maxReady/);
    expect(() => renderSenderPolicy(inputs, { ...delivery, connectionLimit: 1.5 })).toThrow(/connectionLimit/);
    expect(() => renderSenderPolicy({ ...inputs, sinkPort: 25 }, delivery)).toThrow(/25/);
  });

  it("refuses IPv6 addresses: kumod cannot STARTTLS to an [IPv6:…] literal (rfc5321 extract_hostname) and the sink listens on 0.0.0.0", () => {
    expect(() => renderSenderPolicy({ sinkPort: 2525, sinkAddress: "2001:db8::7", senderAddress: "198.18.7.10" }, delivery)).toThrow(/IPv4 only/);
    expect(() => renderSinkPolicy({ sinkPort: 2525, sinkAddress: "198.18.7.11", senderAddress: "2001:db8::6" })).toThrow(/IPv4 only/);
    const base = { sinkAddressFromSender: "2001:db8::7", sinkPort: 2525, sender: { address: "198.18.7.10" } } as unknown as LabHosts;
    expect(() => policyInputs(base)).toThrow(/sinkAddressFromSender.*IPv4 only.*give the host's IPv4 address/);
  });

  it("refuses values that are not IPs or ports, and Lua injection", () => {
    expect(() => renderSenderPolicy({ ...inputs, sinkAddress: "sink.example.com" }, delivery)).toThrow(/IP address/);
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
