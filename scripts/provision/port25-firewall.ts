/**
 * Our own nftables table on every lab host: outbound TCP 25/465/587 is rejected (TCP reset) to
 * everyone. Loopback is exempt, since nothing on `lo` leaves the host (and the sink checks its own
 * port-25 listener locally). The file is applied as one `nft -f` transaction that creates, deletes
 * and re-adds the table, so applying it again is harmless.
 */
import { createHash } from "node:crypto";
import type { SshSession } from "../ssh/session";
import { ensureRemoteFile } from "./remote-file";
import { BLOCKED_PORTS, LAB_ETC_DIR, PORT25_NFT_FILE, PORT25_TABLE } from "./lab-endpoints";

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

export async function ensurePort25Table(session: SshSession, step: string): Promise<{ changed: boolean; detail: string }> {
  // One round trip when nothing changed: file hash and the live table, checked together.
  const want = createHash("sha256").update(port25NftRuleset()).digest("hex");
  const check = await session.execOk(
    `mkdir -p ${LAB_ETC_DIR} && { [ -f ${PORT25_NFT_FILE} ] && [ "$(stat -c '%a %U' ${PORT25_NFT_FILE})" = "644 root" ] && sha256sum < ${PORT25_NFT_FILE}; echo "--"; ${LIST_TABLE_COMMAND} 2>&1; true; }`,
    { sudo: true, step, timeoutMs: 15_000 },
  );
  const [fileHash, listing = ""] = check.stdout.split("--\n");
  const fileSame = (fileHash ?? "").trim().replace(/\s+-$/, "") === want;
  if (fileSame && tableIsEffective(listing)) return { changed: false, detail: `table inet ${PORT25_TABLE} in force` };
  if (!fileSame) await ensureRemoteFile(session, { path: PORT25_NFT_FILE, content: port25NftRuleset(), mode: 0o644 }, step);
  await session.execOk(`nft -f ${PORT25_NFT_FILE}`, { sudo: true, step, timeoutMs: 20_000, hint: "check that the kernel has nf_tables (modprobe nf_tables) and that nft works as root" });
  const after = await session.execOk(LIST_TABLE_COMMAND, { sudo: true, step, timeoutMs: 10_000 });
  if (!tableIsEffective(after.stdout)) {
    throw session.error("exit-status", step, `table inet ${PORT25_TABLE} was applied but does not show the reject rule:\n${after.stdout}`, `inspect it with: sudo ${LIST_TABLE_COMMAND}`);
  }
  return { changed: true, detail: `table inet ${PORT25_TABLE} applied from ${PORT25_NFT_FILE}` };
}
