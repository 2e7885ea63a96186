/**
 * Building remote command lines safely: every argument is single-quoted for POSIX sh, so values
 * never become shell syntax; sudo is added when the login user is not root.
 */

/** Quotes one argument for POSIX sh. Plain words stay readable; everything else is single-quoted. */
export function shellQuote(arg: string): string {
  if (arg.includes("\0")) throw new Error("refusing to quote an argument that contains a NUL byte");
  if (arg !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins argv into one command line for sh. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("empty command");
  return argv.map(shellQuote).join(" ");
}

/**
 * Wraps a shell command line so it runs as root: `sudo -n -- sh -c '<command>'`. `-n` makes sudo
 * fail at once instead of waiting for a password nobody will type.
 */
export function sudoWrap(command: string): string {
  return `sudo -n -- sh -c ${shellQuote(command)}`;
}

/** A command for `exec`: a shell line as is, or argv quoted. */
export function toCommandLine(command: string | readonly string[]): string {
  return typeof command === "string" ? command : shellJoin(command);
}
