/** commander argument parsers shared by the run commands (`npm run sweep`, `npm run knee`). */
import { InvalidArgumentError } from "commander";

/** A whole number above 0 (`--trials`, `--parallel`, `--duration`). */
export const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
};

/** A whole number of seconds, 0 included (`--cool-down`). */
export const nonNegative = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number of seconds");
  return n;
};
