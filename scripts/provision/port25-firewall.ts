/**
 * Our own nftables table on every lab host: outbound TCP 25/465/587 is rejected (TCP reset) to
 * everyone. Loopback is exempt, since nothing on `lo` leaves the host (and the sink checks its own
 * port-25 listener locally). The file is applied as one `nft -f` transaction that creates, deletes
 * and re-adds the table, so applying it again is harmless.
 */
import type { SshSession } from "../ssh/session";
import { parsePlacement, placementFailure, remoteFileScript, type RemoteFileSpec } from "./remote-file";
import { BLOCKED_PORTS, PORT25_NFT_FILE, PORT25_TABLE } from "./lab-endpoints";

export function port25NftRuleset(): string {
  return [
    "#!/usr/sbin/nft -f",
    "# kumolab: no mail leaves this host on ports 25/465/587. Written by kumolab provisioning;",
    "# re-applied on every run. Remove with: nft delete table inet " + PORT25_TABLE,
    `table inet ${PORT25_TABLE}`,
    `delete table inet ${PORT25_TABLE}`,
    `table inet ${PORT25_TABLE} {`,
    "\tchain output {",
    "\t\ttype filter hook output priority filter; policy accept;",
    '\t\toifname "lo" accept',
    `\t\ttcp dport { ${BLOCKED_PORTS.join(", ")} } counter reject with tcp reset`,
    "\t}",
    "}",
    "",
  ].join("\n");
}

/** Whether `nft list table inet kumolab_port25` output shows our rule in force. */
export function tableIsEffective(listing: string): boolean {
  return listing.includes(`table inet ${PORT25_TABLE}`) && new RegExp(`tcp dport \\{ ${BLOCKED_PORTS.join(", ")} \\}.*reject with tcp reset`).test(listing) && /hook output/.test(listing);
}

export const LIST_TABLE_COMMAND = `nft list table inet ${PORT25_TABLE}`;

/** Places the ruleset file, applies it when it changed or the table is not in force, then lists the table. */
export function port25TableScript(): { script: string; file: RemoteFileSpec } {
  const file: RemoteFileSpec = { path: PORT25_NFT_FILE, content: port25NftRuleset(), mode: 0o644 };
  const script = [
    remoteFileScript(file),
    `if [ "$placed" = changed ] || ! ${LIST_TABLE_COMMAND} 2>/dev/null | grep -q 'reject with tcp reset'; then nft -f ${PORT25_NFT_FILE} || exit 20; echo applied; fi`,
    `echo "${LISTING_MARK}"`,
    `${LIST_TABLE_COMMAND} 2>&1`,
  ].join("\n");
  return { script, file };
}

const LISTING_MARK = "--- nft listing";

export async function ensurePort25Table(session: SshSession, step: string): Promise<{ changed: boolean; detail: string }> {
  // One remote call whether or not anything changed: place the file, apply, list.
  const { script, file } = port25TableScript();
  const r = await session.exec(script, { sudo: true, step, stdin: file.content, timeoutMs: 30_000 });
  if (r.code === 20) {
    throw session.error(
      "exit-status",
      step,
      `nft -f ${PORT25_NFT_FILE} failed: ${r.stderr.trim().split("\n").slice(-3).join(" | ") || "(no message)"}`,
      "check that the kernel has nf_tables (modprobe nf_tables) and that nft works as root",
    );
  }
  if (r.code !== 0) {
    const f = placementFailure(file, r);
    throw session.error(r.code === null ? "connect" : "upload", step, f.what, f.hint);
  }
  const [report = "", listing = ""] = r.stdout.split(`${LISTING_MARK}\n`);
  const placed = parsePlacement(session, file, step, report);
  const applied = /^applied$/m.test(report);
  if (!tableIsEffective(listing)) {
    throw session.error("exit-status", step, `table inet ${PORT25_TABLE} was applied but does not show the reject rule:\n${listing}`, `inspect it with: sudo ${LIST_TABLE_COMMAND}`);
  }
  if (!placed.changed && !applied) return { changed: false, detail: `table inet ${PORT25_TABLE} in force` };
  return { changed: true, detail: `table inet ${PORT25_TABLE} applied from ${PORT25_NFT_FILE}` };
}
