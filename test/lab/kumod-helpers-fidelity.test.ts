/**
 * The kumod stand-in's egress sources and pools, listener domains and message headers — what the
 * kumomta-2023-07 profile's policy helpers use (scripts/provision/workload-policy.ts routingLua) —
 * held to KumoMTA's behaviour at the release we target, each expectation from its source:
 *  - crates/kumod/src/egress_source.rs: EgressSource / EgressPool / EgressPoolEntry are
 *    deny_unknown_fields, `name` required, weight default 1 and 0 = unused; 'unspecified' is built in;
 *    other names go to get_egress_pool / get_egress_source, whose errors carry "resolving egress pool
 *    '<pool>'" and "get_egress_source '<source>'";
 *  - crates/config/src/lib.rs require_value: "Event <name> has not been registered" / "did not return a value";
 *  - crates/kumod/src/mod_kumo.rs + mlua FromLua: the events take only the constructors' userdata;
 *  - crates/kumod/src/ready_queue.rs compute_queue_name: `<source>-><site>@smtp_client`, and
 *    get_egress_path_config(routing_domain, <source>, site_name);
 *  - crates/kumod/src/smtp_dispatcher.rs: EHLO name = path ehlo_domain, else the source's; the
 *    source's remote_port wins over smtp_port;
 *  - crates/kumod/src/smtp_server.rs: EsmtpDomain is deny_unknown_fields (log_oob, log_arf,
 *    relay_to, relay_from, ttl); check_relaying asks get_listener_domain at every RCPT for the
 *    sender's and the recipient's domain and relays on relay_hosts, relay_from or relay_to; an error
 *    there fails the session with "421 4.3.0 <hostname> technical difficulties";
 *  - crates/message/src/message.rs get_first_named_header_value: first header of the name, any case.
 * Policies are read by the stand-in's own reader (loadPolicy, MessagePolicy: real Lua), as the
 * stand-in kumod reads them at start and per message; two stand-ins run for the per-RCPT relaying.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessagePolicy } from "../fixtures/kumod/message-policy";
import { loadPolicy, type Fate } from "../fixtures/kumod/policy";

const REPO = path.resolve(__dirname, "..", "..");
const KUMOD = path.join(REPO, "test", "fixtures", "kumod", "main.ts");
const TSX = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const hasLua = spawnSync("sh", ["-c", "command -v lua5.4"], { stdio: "ignore" }).status === 0;
const canRunKumod = hasLua && typeof process.getuid === "function" && process.getuid() === 0 && spawnSync("id", ["-u", "kumod"]).status === 0;

let dir = "";
const running = new Set<ChildProcess>();

/** A sender policy routing to [198.18.9.2] with `extra` Lua (events) and queue-config fields `queue`. */
function senderPolicy(name: string, extra: string, queue = ""): string {
  const p = path.join(dir, `${name}.lua`);
  fs.writeFileSync(p, `local kumo = require 'kumo'
kumo.on('init', function()
  kumo.define_spool { name = 'data', path = '${dir}/spool/data' }
  kumo.define_spool { name = 'meta', path = '${dir}/spool/meta' }
  kumo.start_esmtp_listener { listen = '127.0.0.171:2525', hostname = 'helpers.kumolab.test', relay_hosts = { '127.0.0.0/8' } }
end)
kumo.on('smtp_server_message_received', function(msg) msg:set_meta('queue', '[198.18.9.2]') end)
kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
  return kumo.make_queue_config { ${queue} protocol = { smtp = { mx_list = { '[198.18.9.2]' } } } }
end)
kumo.on('get_egress_path_config', function(routing_domain, egress_source, site_name)
  return kumo.make_egress_path { smtp_port = 2525, ehlo_domain = 'path-for-' .. egress_source }
end)
${extra}
`, { mode: 0o644 });
  return p;
}

const POOL = `kumo.on('get_egress_pool', function(name)
  return kumo.make_egress_pool { name = name, entries = { { name = 'ip-1' } } }
end)`;
const SOURCE = (fields: string) => `kumo.on('get_egress_source', function(name)
  return kumo.make_egress_source { name = name, ${fields} }
end)`;

function unroutable(f: Fate): string {
  if (f.kind !== "unroutable") throw new Error(`expected an unroutable fate, got ${f.kind}`);
  return f.reason;
}

describe.skipIf(!hasLua)("kumod stand-in: egress sources and pools, listener domains, headers (as KumoMTA)", () => {
  beforeAll(() => {
    dir = fs.mkdtempSync("/tmp/kumod-helpers-");
    fs.chmodSync(dir, 0o755);
  });
  afterAll(async () => {
    for (const c of [...running]) c.kill("SIGKILL");
    for (let i = 0; i < 50 && running.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a queue's egress_pool picks the pool's source: the ready queue is named after it and get_egress_path_config is asked with it", () => {
    const p = loadPolicy(senderPolicy("pool", `${POOL}\n${SOURCE("")}`, "egress_pool = 'pool-a',"));
    expect(p.fate).toMatchObject({ kind: "relay", readyQueue: "ip-1->mx_list:[198.18.9.2]@smtp_client", destinations: [{ host: "198.18.9.2", port: 2525 }] });
    expect(p.fate.kind === "relay" && p.fate.egress.ehloDomain).toBe("path-for-ip-1");
    // Without egress_pool: the built-in 'unspecified' pool and source.
    const plain = loadPolicy(senderPolicy("no-pool", ""));
    expect(plain.fate).toMatchObject({ kind: "relay", readyQueue: "unspecified->mx_list:[198.18.9.2]@smtp_client" });
  });

  it("the source's remote_port wins over the path's smtp_port; a weight-0 entry is never used", () => {
    const p = loadPolicy(senderPolicy("remote-port", `kumo.on('get_egress_pool', function(name)
  return kumo.make_egress_pool { name = name, entries = { { name = 'ip-0', weight = 0 }, { name = 'ip-1', weight = 3 } } }
end)
${SOURCE("remote_port = 2626")}`, "egress_pool = 'pool-a',"));
    expect(p.fate).toMatchObject({ kind: "relay", readyQueue: "ip-1->mx_list:[198.18.9.2]@smtp_client", destinations: [{ host: "198.18.9.2", port: 2626 }] });
  });

  it("resolution errors keep messages from the sink, with kumod's context: no handler, no value, a plain table, an unknown or missing field, no usable source", () => {
    const reason = (name: string, extra: string): string => unroutable(loadPolicy(senderPolicy(name, extra, "egress_pool = 'pool-a',")).fate);
    expect(reason("no-pool-handler", "")).toBe("resolving egress pool 'pool-a': Event get_egress_pool has not been registered");
    expect(reason("no-value", "kumo.on('get_egress_pool', function(name) end)")).toBe("resolving egress pool 'pool-a': Event get_egress_pool did not return a value");
    expect(reason("plain-table", "kumo.on('get_egress_pool', function(name) return { name = name, entries = {} } end)")).toBe("resolving egress pool 'pool-a': error converting Lua table to EgressPool");
    expect(reason("no-source-handler", POOL)).toBe("resolving egress pool 'pool-a': get_egress_source 'ip-1': Event get_egress_source has not been registered");
    expect(reason("bad-source-key", `${POOL}\n${SOURCE("source_adress = '10.0.0.1'")}`)).toMatch(
      /^resolving egress pool 'pool-a': get_egress_source 'ip-1': .*unknown field `source_adress`, expected one of `name`, `ehlo_domain`, `source_address`, `remote_port`, `ha_proxy_server`, `ha_proxy_source_address`, `socks5_proxy_server`, `socks5_proxy_source_address`, `socks5_proxy_username`, `socks5_proxy_password`, `ttl`, while processing /,
    );
    expect(reason("bad-entry-key", `kumo.on('get_egress_pool', function(name)
  return kumo.make_egress_pool { name = name, entries = { { name = 'ip-1', wieght = 2 } } }
end)`)).toMatch(/^resolving egress pool 'pool-a': .*unknown field `wieght`, expected `name` or `weight`/);
    expect(reason("pool-no-name", "kumo.on('get_egress_pool', function(name) return kumo.make_egress_pool { entries = {} } end)")).toMatch(/^resolving egress pool 'pool-a': .*missing field `name`/);
    expect(reason("all-zero", `kumo.on('get_egress_pool', function(name)
  return kumo.make_egress_pool { name = name, entries = { { name = 'ip-1', weight = 0 } } }
end)
${SOURCE("")}`)).toBe("egress pool 'pool-a' has no sources with a weight above 0");
    // The stand-in binds no source address: refused, never silently ignored.
    expect(reason("source-address", `${POOL}\n${SOURCE("source_address = '198.18.9.1'")}`)).toBe("egress source 'ip-1' sets source_address, which the kumod stand-in does not support");
  });

  it("make_listener_domain is strict (the policy reader's probe)", () => {
    const relay = loadPolicy(senderPolicy("ld-ok", "kumo.on('get_listener_domain', function(d) return kumo.make_listener_domain { relay_to = true, log_oob = false } end)"));
    expect(relay.raw.listener_domain_relay_to).toBe(true);
    expect(relay.raw.listener_domain_error).toBeUndefined();
    const none = loadPolicy(senderPolicy("ld-nil", "kumo.on('get_listener_domain', function(d) end)"));
    expect(none.raw.listener_domain_relay_to).toBeUndefined();
    const badKey = loadPolicy(senderPolicy("ld-bad", "kumo.on('get_listener_domain', function(d) return kumo.make_listener_domain { relay_to = true, relay_from_authz = {} } end)"));
    expect(badKey.raw.listener_domain_error).toContain("unknown field `relay_from_authz`, expected one of `log_oob`, `log_arf`, `relay_to`, `relay_from`, `ttl`");
    const plainTable = loadPolicy(senderPolicy("ld-table", "kumo.on('get_listener_domain', function(d) return { relay_to = true } end)"));
    expect(plainTable.raw.listener_domain_error).toBe("get_listener_domain: error converting Lua table to EsmtpDomain");
  });

  it.skipIf(!canRunKumod)("at RCPT, per domain: relay_to for the recipient's, relay_from for the sender's, else 550; an erroring handler fails the session 421", async () => {
    fs.mkdirSync(path.join(dir, "spool"), { recursive: true });
    const uid = Number(spawnSync("id", ["-u", "kumod"], { encoding: "utf8" }).stdout.trim());
    const gid = Number(spawnSync("id", ["-g", "kumod"], { encoding: "utf8" }).stdout.trim());
    fs.chownSync(path.join(dir, "spool"), uid, gid);
    const startKumod = (file: string, ip: string): string => {
      const child = spawn(process.execPath, ["--require", TSX, KUMOD, "--policy", file, "--user", "kumod"], {
        env: { ...process.env, KUMOD_STANDIN_TRUTH: path.join(dir, "spool", `truth-${ip}.json`) }, stdio: ["ignore", "pipe", "pipe"],
      });
      running.add(child);
      child.once("exit", () => running.delete(child));
      return ip;
    };
    /** One SMTP session: each line sent after the previous reply; the transcript of replies. */
    const talk = (ip: string, lines: string[]): Promise<string[]> => new Promise((resolve) => {
      const s = net.connect({ host: ip, port: 2525 });
      let buf = "";
      let sent = 0;
      const replies = (): string[] => buf.split("\r\n").filter((l) => /^\d{3} /.test(l));
      s.setTimeout(3000, () => { s.destroy(); resolve(replies()); });
      s.on("data", (d: Buffer) => {
        buf += d.toString();
        if (replies().length > sent && sent < lines.length) s.write(`${lines[sent++]}\r\n`);
        else if (sent === lines.length && replies().length > sent) s.end();
      });
      s.on("close", () => resolve(replies()));
      s.on("error", () => resolve(replies()));
    });
    const ready = async (ip: string): Promise<void> => {
      for (let i = 0; i < 100; i++) {
        if ((await talk(ip, []))[0]?.startsWith("220 ")) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no 220 from ${ip}`);
    };

    // Nobody is a relay host: only listener domains can allow relaying.
    const ok = senderPolicy("ld-relay", `kumo.on('get_listener_domain', function(domain, listener, conn_meta)
  if domain == 'allowed.example' then return kumo.make_listener_domain { relay_to = true } end
  if domain == 'trusted.example' then return kumo.make_listener_domain { relay_from = { '127.0.0.0/8' } } end
end)`);
    const bad = senderPolicy("ld-error", "kumo.on('get_listener_domain', function(d) return kumo.make_listener_domain { relay_too = true } end)");
    fs.writeFileSync(ok, fs.readFileSync(ok, "utf8").replace("relay_hosts = { '127.0.0.0/8' }", "relay_hosts = {}"));
    fs.writeFileSync(bad, fs.readFileSync(bad, "utf8").replace("127.0.0.171", "127.0.0.172"));
    startKumod(ok, "127.0.0.171");
    startKumod(bad, "127.0.0.172");
    await ready("127.0.0.171");
    await ready("127.0.0.172");

    const t = await talk("127.0.0.171", ["EHLO t", "MAIL FROM:<a@other.example>", "RCPT TO:<b@allowed.example>", "RCPT TO:<c@denied.example>", "RSET", "MAIL FROM:<a@trusted.example>", "RCPT TO:<c@denied.example>", "QUIT"]);
    expect(t.slice(2, 7)).toEqual([
      "250 OK EnvelopeAddress",
      "250 OK EnvelopeAddress", // relay_to of the recipient's domain
      "550 5.7.1 relaying not permitted for 127.0.0.1",
      expect.stringMatching(/^250 /),
      "250 OK EnvelopeAddress",
    ]);
    expect(t[7]).toBe("250 OK EnvelopeAddress"); // relay_from of the sender's domain covers the client
    const e = await talk("127.0.0.172", ["EHLO t", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>", "QUIT"]);
    // The RCPT's answer, then the connection closes (RejectDisconnect::If421): QUIT is never answered.
    expect(e.at(-1)).toBe("421 4.3.0 helpers.kumolab.test technical difficulties");
    expect(e).toHaveLength(4);
  }, 30_000);

  it("msg:get_first_named_header_value reads the message's own header, any case, first of several, unfolded", async () => {
    const file = senderPolicy("header", "");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(
      "kumo.on('smtp_server_message_received', function(msg) msg:set_meta('queue', '[198.18.9.2]') end)",
      "kumo.on('smtp_server_message_received', function(msg)\n  local t = msg:get_first_named_header_value('x-tenant')\n  msg:set_meta('queue', (t or 'none') .. '@[198.18.9.2]')\nend)",
    ));
    const mp = new MessagePolicy(file);
    try {
      const m = { sender: "a@example.com", recipient: "b@example.org", from: "a@example.com" };
      const answers = await Promise.all([
        mp.run("smtp_server_message_received", { ...m, id: "1", headers: "From: a@example.com\r\nX-Tenant: acme\r\nX-TENANT: second" }),
        mp.run("smtp_server_message_received", { ...m, id: "2", headers: "Subject: s\r\nx-tenant:\r\n\tfolded" }),
        mp.run("smtp_server_message_received", { ...m, id: "3", headers: "Subject: no tenant\r\nX-Tenantish: no" }),
      ]);
      expect(answers.map((a) => a.queue)).toEqual(["acme@[198.18.9.2]", "folded@[198.18.9.2]", "none@[198.18.9.2]"]);
    } finally {
      mp.stop();
    }
  });
});

