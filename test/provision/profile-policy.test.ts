/**
 * The kumomta-2023-07 profile's sender policy, rendered from the profile's own workload and run
 * under lua5.4 with a recording `kumo` module: every message — SMTP or HTTP injection — is
 * DKIM-signed with kumo.dkim.rsa_sha256_signer ("DKIM (sha256)", published-results.md) for the
 * profile's signing domain, and both spools are RocksDB at kumod's spool path (the mounted volume).
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
kumo.make_queue_config = function(t) return t end
kumo.make_egress_path = function(t) return t end
package.preload['kumo'] = function() return kumo end
dofile(arg[1])
h['init']()
local function msg() return { set_meta = function() end, dkim_sign = function(_, s) signed[#signed + 1] = s end } end
for _ = 1, 3 do h['smtp_server_message_received'](msg()) end
h['http_message_generated'](msg())
for _, s in ipairs(spools) do print('spool ' .. s) end
for _, s in ipairs(signed) do print('signed ' .. s) end
`;

describe("kumomta-2023-07: the July 2023 round's signing", () => {
  it("signs every message, SMTP and HTTP alike, RSA-SHA256 for the profile's domain; RocksDB spools", () => {
    const cfg = resolveStackConfig({ "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:profile": "kumomta-2023-07" }, "test", path.resolve(__dirname, "../../lab-config/lab.yaml")).config;
    const w = resolveWorkload(cfg, cfg.workloads.baseline);
    const lua = renderSenderPolicy({ sinkPort: 2525, sinkAddress: "198.18.7.11", senderAddress: "198.18.7.10" }, cfg.kumomta, undefined, { workload: w.sender });
    const policy = path.join(tmp, "init.lua");
    const harness = path.join(tmp, "harness.lua");
    writeFileSync(policy, lua);
    writeFileSync(harness, HARNESS);
    const r = spawnSync("lua5.4", [harness, policy], { encoding: "utf8", timeout: 10_000 });
    expect(r.stderr).toBe("");
    const signature = "signed rsa_sha256 d=kumolab.example.com s=kumolab h=From:To:Subject key=/opt/kumomta/etc/policy/dkim/kumolab.example.com.kumolab.rsa2048.key";
    expect(r.stdout.trim().split("\n")).toEqual([
      "spool data RocksDB /var/spool/kumomta/data flush=false",
      "spool meta RocksDB /var/spool/kumomta/meta flush=false",
      signature,
      signature,
      signature,
      signature,
    ]);
  });
});
