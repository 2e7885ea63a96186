import { CommanderError } from "commander";
import { exitCodeOf } from "./exit-codes";

/**
 * Runs a command's main function as the process: its result is the exit code; a throw prints its
 * message once and exits with the code for it (./exit-codes.ts: a config or usage error is 2,
 * anything else 1; commander has already printed its own usage errors, and --help exits 0).
 */
export function runMain(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (!(e instanceof CommanderError)) process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(exitCodeOf(e));
    },
  );
}
