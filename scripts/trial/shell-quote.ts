/** Quotes one word for a POSIX shell (single quotes; embedded quotes closed and escaped). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
