/**
 * The kumomta-2023-07 profile's sender policy, rendered from the profile's own workload and run
 * under lua5.4 with a recording `kumo` module: every message — SMTP or HTTP injection — is
 * DKIM-signed with kumo.dkim.rsa_sha256_signer ("DKIM (sha256)", published-results.md) for the
 * profile's signing domain, and both spools are RocksDB at kumod's spool path (the mounted volume).
 * Its routing — our equivalent of the round's policy helpers — gives each message a tenant (X-Tenant or
 * `kumolab`), sends from the tenant's egress pool and source, answers relay_to for traffic-gen's domains and
 * shapes per destination; every expected line is written by hand from scripts/provision/workload-policy.ts's
 * description and KumoMTA's APIs (docs/reference/kumo/make_egress_pool, make_egress_source, make_listener_domain).
 * Signer parameters after KumoMTA's docs/reference/kumo.dkim/rsa_sha256_signer.md (domain, selector, headers, key).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveStackConfig } from "../../infra/config";
import { resolveWorkload } from "../../lab-config/workloads";
import { renderSenderPolicy } from "../../scripts/provision/policies";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kumolab-profile-policy-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HARNESS = `
local h, spools, signed = {}, {}, {}
local kumo = { on = function(e, f) h[e] = f end, dkim = {} }
kumo.define_spool = function(t) spools[#spools + 1] = t.name .. ' ' .. t.kind .. ' ' .. t.path .. ' flush=' .. tostring(t.flush) end
for _, fn in ipairs({ 'start_esmtp_listener', 'start_http_listener', 'configure_local_logs' }) do kumo[fn] = function() end end
kumo.dkim.rsa_sha256_signer = function(p) return 'rsa_sha256 d=' .. p.domain .. ' s=' .. p.selector .. ' h=' .. table.concat(p.headers, ':') .. ' key=' .. p.key end
kumo.dkim.ed25519_signer = function(p) return 'ed25519 d=' .. p.domain end
-- What each constructor was given, as sorted key=value text (nested tables inline).
local function show(v)
  if type(v) ~= 'table' then return tostring(math.tointeger(v) or v) end
  local parts = {}
  if v[1] ~= nil then for _, x in ipairs(v) do parts[#parts + 1] = show(x) end return '[' .. table.concat(parts, ',') .. ']' end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. '=' .. show(v[k]) end
  return '{' .. table.concat(parts, ' ') .. '}'
end
for _, fn in ipairs({ 'make_queue_config', 'make_egress_path', 'make_egress_pool', 'make_egress_source', 'make_listener_domain' }) do
  kumo[fn] = function(t) return fn .. show(t) end
end
package.preload['kumo'] = function() return kumo end
dofile(arg[1])
h['init']()
local function msg(headers)
  local meta = {}
  return {
    meta = meta,
    set_meta = function(_, k, v) meta[k] = v end,
    get_first_named_header_value = function(_, name) return headers[name] end,
    dkim_sign = function(_, s) signed[#signed + 1] = s end,
  }
end
local function received(event, headers)
  local m = msg(headers)
  h[event](m)
  print(event .. ' tenant=' .. m.meta.tenant .. ' queue=' .. m.meta.queue)
end
received('smtp_server_message_received', {})
received('smtp_server_message_received', { ['X-Tenant'] = 'acme' })
received('smtp_server_message_received', { ['X-Tenant'] = 'a@b!c' })
received('http_message_generated', {})
for _, s in ipairs(spools) do print('spool ' .. s) end
for _, s in ipairs(signed) do print('signed ' .. s) end
print(h['get_queue_config']('[198.18.7.11]', 'kumolab', nil, nil))
print(h['get_queue_config']('[198.18.7.11]', 'acme', nil, nil))
print(h['get_egress_pool']('kumolab-pool'))
print(h['get_egress_source']('kumolab-source-1'))
-- An unknown name is an error (its Lua position stripped here).
print((select(2, pcall(h['get_egress_pool'], 'other-pool')):gsub('^.-:%d+: ', '')))
print((select(2, pcall(h['get_egress_source'], 'other-source')):gsub('^.-:%d+: ', '')))
for _, d in ipairs({ 'gmail.com.mx-sink.wezfurlong.org', 'MX-SINK.wezfurlong.org', 'example.com', 'evilmx-sink.wezfurlong.org' }) do
  local v = h['get_listener_domain'](d, '127.0.0.1:2025', nil)
  print('listener ' .. d .. ' ' .. tostring(v))
end
print(h['get_egress_path_config']('[198.18.7.11]', 'kumolab-source-1', 'mx_list:[198.18.7.11]'))
print(h['get_egress_path_config']('example.net', 'kumolab-source-1', 'example.net'))
`;

describe("kumomta-2023-07: the July 2023 round's sender policy", () => {
  it("signs every message RSA-SHA256, spools on RocksDB, and routes through a tenant, an egress pool and source, listener domains and shaping — all to the sink", () => {
    const cfg = resolveStackConfig({ "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:profile": "kumomta-2023-07" }, "test", path.resolve(__dirname, "../../lab-config/lab.yaml")).config;
    const w = resolveWorkload(cfg, cfg.workloads.baseline);
    const delivery = { egressTls: "opportunistic-insecure", retryIntervalSeconds: 5, maxRetryIntervalSeconds: 20, maxReady: 5000, connectionLimit: 100 } as const;
    const lua = renderSenderPolicy({ sinkPort: 2525, sinkAddress: "198.18.7.11", senderAddress: "198.18.7.10" }, delivery, undefined, { workload: w.sender });
    const policy = path.join(tmp, "init.lua");
    const harness = path.join(tmp, "harness.lua");
    writeFileSync(policy, lua);
    writeFileSync(harness, HARNESS);
    const r = spawnSync("lua5.4", [harness, policy], { encoding: "utf8", timeout: 10_000 });
    expect(r.stderr).toBe("");
    const signature = "signed rsa_sha256 d=kumolab.example.com s=kumolab h=From:To:Subject key=/opt/kumomta/etc/policy/dkim/kumolab.example.com.kumolab.rsa2048.key";
    expect(r.stdout.trim().split("\n")).toEqual([
      // Tenant: X-Tenant's value when it is a plain name, else the default; in meta and in the queue name.
      "smtp_server_message_received tenant=kumolab queue=kumolab@[198.18.7.11]",
      "smtp_server_message_received tenant=acme queue=acme@[198.18.7.11]",
      "smtp_server_message_received tenant=kumolab queue=kumolab@[198.18.7.11]",
      "http_message_generated tenant=kumolab queue=kumolab@[198.18.7.11]",
      "spool data RocksDB /var/spool/kumomta/data flush=false",
      "spool meta RocksDB /var/spool/kumomta/meta flush=false",
      signature,
      signature,
      signature,
      signature,
      // Every tenant's queue: MX the sink, from the kumolab pool (a tenant without a pool of its own takes the default's).
      "make_queue_config{egress_pool=kumolab-pool max_retry_interval=20s protocol={smtp={mx_list=[[198.18.7.11]]}} retry_interval=5s}",
      "make_queue_config{egress_pool=kumolab-pool max_retry_interval=20s protocol={smtp={mx_list=[[198.18.7.11]]}} retry_interval=5s}",
      "make_egress_pool{entries=[{name=kumolab-source-1 weight=1}] name=kumolab-pool}",
      // No source_address: connections leave from the sender's own address, as without the helpers.
      "make_egress_source{name=kumolab-source-1}",
      "kumolab policy: no egress pool named other-pool",
      "kumolab policy: no egress source named other-source",
      "listener gmail.com.mx-sink.wezfurlong.org make_listener_domain{relay_to=true}",
      "listener MX-SINK.wezfurlong.org make_listener_domain{relay_to=true}",
      "listener example.com nil",
      "listener evilmx-sink.wezfurlong.org nil",
      // Shaping: the sink's entry (the lab's ready-queue limits) over the default (port, TLS).
      "make_egress_path{connection_limit=100 enable_tls=OpportunisticInsecure max_ready=5000 smtp_port=2525}",
      "make_egress_path{enable_tls=OpportunisticInsecure smtp_port=2525}",
    ]);
  });
});
