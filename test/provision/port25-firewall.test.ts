/**
 * The port-25 nftables table, without a host: the ruleset text, the check of `nft list table`
 * output, and ensurePort25Table's reading of the one remote call (a session whose exec is stubbed).
 * The expected ruleset is written out by hand in nft syntax (nftables wiki, "Simple rule management"
 * and "Quick reference"): an output hook — the input hook would not stop mail leaving — with
 * loopback exempt and a TCP reset for 25/465/587.
 */
import { describe, expect, test, vi } from "vitest";
import type { LabHost } from "../../scripts/hosts/lab-hosts";
import { ensurePort25Table, LIST_TABLE_COMMAND, port25NftRuleset, port25TableScript, tableIsEffective } from "../../scripts/provision/port25-firewall";
import { LabHostError } from "../../scripts/ssh/errors";
import { SshSession, type ExecResult } from "../../scripts/ssh/session";

const RULESET = `#!/usr/sbin/nft -f
# kumolab: no mail leaves this host on ports 25/465/587. Written by kumolab provisioning;
# re-applied on every run. Remove with: nft delete table inet kumolab_port25
table inet kumolab_port25
delete table inet kumolab_port25
table inet kumolab_port25 {
\tchain output {
\t\ttype filter hook output priority filter; policy accept;
\t\toifname "lo" accept
\t\ttcp dport { 25, 465, 587 } counter reject with tcp reset
\t}
}
`;

/** What `nft list table inet kumolab_port25` prints once the table is in force (counters included). */
const LISTING = `table inet kumolab_port25 {
\tchain output {
\t\ttype filter hook output priority filter; policy accept;
\t\toifname "lo" accept
\t\ttcp dport { 25, 465, 587 } counter packets 3 bytes 180 reject with tcp reset
\t}
}
`;

describe("the ruleset", () => {
  test("is exactly the table we mean to apply", () => {
    expect(port25NftRuleset()).toBe(RULESET);
  });

  test("the listing command", () => {
    expect(LIST_TABLE_COMMAND).toBe("nft list table inet kumolab_port25");
  });
});

describe("tableIsEffective", () => {
  test("the table in force, with or without counters", () => {
    expect(tableIsEffective(LISTING)).toBe(true);
    expect(tableIsEffective(RULESET)).toBe(true);
  });

  test.each([
    ["another table", LISTING.replace("table inet kumolab_port25", "table inet other")],
    ["the input hook", LISTING.replace("hook output", "hook input")],
    ["accept instead of reject", LISTING.replace("reject with tcp reset", "accept")],
    ["a plain reject (ICMP, not a TCP reset)", LISTING.replace("reject with tcp reset", "reject")],
    ["465 missing", LISTING.replace("{ 25, 465, 587 }", "{ 25, 587 }")],
    ["25 only", LISTING.replace("{ 25, 465, 587 }", "25")],
    ["udp instead of tcp", LISTING.replace("tcp dport", "udp dport")],
    ["nothing (nft failed)", ""],
    ["an error message", "Error: No such file or directory; did you mean table 'kumolab_port25' in family inet?"],
  ])("not with %s", (_what, listing) => {
    expect(tableIsEffective(listing)).toBe(false);
  });
});

describe("the remote script", () => {
  test("places the file, applies it when it changed or is not in force, then lists the table", () => {
    const { script, file } = port25TableScript();
    expect(file).toEqual({ path: "/etc/kumolab/port25.nft", content: RULESET, mode: 0o644 });
    const lines = script.split("\n");
    expect(lines.slice(-3)).toEqual([
      `if [ "$placed" = changed ] || ! nft list table inet kumolab_port25 2>/dev/null | grep -q 'reject with tcp reset'; then nft -f /etc/kumolab/port25.nft || exit 20; echo applied; fi`,
      'echo "--- nft listing"',
      "nft list table inet kumolab_port25 2>&1",
    ]);
  });
});

describe("ensurePort25Table", () => {
  const host: LabHost = {
    role: "sink",
    name: "sink (198.18.0.2)",
    address: "198.18.0.2",
    port: 22,
    user: "ubuntu",
    hostKey: { kind: "pinned", publicKey: "ssh-ed25519 AAAA" },
    credentials: { kind: "private-key", privateKey: "unused" },
  };

  function sessionAnswering(r: Partial<ExecResult>): { session: SshSession; exec: ReturnType<typeof vi.fn> } {
    const session = new SshSession(host);
    const exec = vi.fn(async (): Promise<ExecResult> => ({ code: 0, signal: null, stdout: "", stderr: "", ...r }));
    vi.spyOn(session, "exec").mockImplementation(exec);
    return { session, exec };
  }

  async function failure(p: Promise<unknown>): Promise<LabHostError> {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(LabHostError);
    return e as LabHostError;
  }

  test("one call, as root, the ruleset on stdin, 30 s", async () => {
    const { session, exec } = sessionAnswering({ stdout: `changed\napplied\n--- nft listing\n${LISTING}` });
    await ensurePort25Table(session, "port-25 table");
    expect(exec).toHaveBeenCalledTimes(1);
    expect(exec.mock.calls[0]?.[1]).toEqual({ sudo: true, step: "port-25 table", stdin: RULESET, timeoutMs: 30_000 });
  });

  test("a new file, applied: changed", async () => {
    const { session } = sessionAnswering({ stdout: `changed\napplied\n--- nft listing\n${LISTING}` });
    expect(await ensurePort25Table(session, "s")).toEqual({ changed: true, detail: "table inet kumolab_port25 applied from /etc/kumolab/port25.nft" });
  });

  test("the file unchanged but the table re-applied (after a reboot): changed", async () => {
    const { session } = sessionAnswering({ stdout: `unchanged\napplied\n--- nft listing\n${LISTING}` });
    expect(await ensurePort25Table(session, "s")).toEqual({ changed: true, detail: "table inet kumolab_port25 applied from /etc/kumolab/port25.nft" });
  });

  test("nothing to do: unchanged, in force", async () => {
    const { session } = sessionAnswering({ stdout: `unchanged\n--- nft listing\n${LISTING}` });
    expect(await ensurePort25Table(session, "s")).toEqual({ changed: false, detail: "table inet kumolab_port25 in force" });
  });

  test("only a line that is exactly 'applied' means the table was applied", async () => {
    const { session } = sessionAnswering({ stdout: `unchanged\nnot applied\napplied later\n--- nft listing\n${LISTING}` });
    expect(await ensurePort25Table(session, "s")).toEqual({ changed: false, detail: "table inet kumolab_port25 in force" });
  });

  test("output without the listing mark is refused as not in force", async () => {
    const { session } = sessionAnswering({ stdout: "unchanged\n" });
    expect((await failure(ensurePort25Table(session, "s"))).message).toContain("was applied but does not show the reject rule:\n");
  });

  test("a listing without the reject rule is an error, whatever was placed", async () => {
    const { session } = sessionAnswering({ stdout: `unchanged\n--- nft listing\n${LISTING.replace("reject with tcp reset", "accept")}` });
    const e = await failure(ensurePort25Table(session, "s"));
    expect(e.kind).toBe("exit-status");
    expect(e.message).toContain("table inet kumolab_port25 was applied but does not show the reject rule:\ntable inet kumolab_port25 {");
    expect(e.hint).toBe("inspect it with: sudo nft list table inet kumolab_port25");
  });

  test("nft -f failing (exit 20) names the last lines of its error and what to check", async () => {
    const { session } = sessionAnswering({ code: 20, stderr: "one\ntwo\nthree\nfour\n" });
    const e = await failure(ensurePort25Table(session, "s"));
    expect(e.kind).toBe("exit-status");
    expect(e.message).toContain("nft -f /etc/kumolab/port25.nft failed: two | three | four");
    expect(e.hint).toBe("check that the kernel has nf_tables (modprobe nf_tables) and that nft works as root");
    const { session: quiet } = sessionAnswering({ code: 20, stderr: "  \n" });
    expect((await failure(ensurePort25Table(quiet, "s"))).message).toContain("failed: (no message)");
  });

  test("a placement failure is an upload error; a dropped connection a connect error", async () => {
    const { session } = sessionAnswering({ code: 14, stderr: "mv: cannot move" });
    const e = await failure(ensurePort25Table(session, "s"));
    expect(e.kind).toBe("upload");
    expect(e.message).toContain("placing /etc/kumolab/port25.nft failed: cannot set owner/mode or rename into place: mv: cannot move");
    const { session: dropped } = sessionAnswering({ code: null, signal: null });
    expect((await failure(ensurePort25Table(dropped, "s"))).kind).toBe("connect");
  });
});
