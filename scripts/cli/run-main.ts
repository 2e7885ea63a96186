import { CommanderError } from "commander";

/**
 * Runs a command's main function as the process: its result is the exit code; a throw prints its
 * message and exits 1 (commander's own exits — --help, a bad option — keep their code and text).
 */
export function runMain(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof CommanderError) process.exit(e.exitCode);
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
