/**
 * Durable file IO for results: JSON Lines appended and fsynced (file and directory) before the
 * caller moves on, and JSON files replaced atomically. A crash mid-write leaves at most one torn
 * last line, which readers report and ignore and the next append sets aside — never merges.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, truncateSync, writeSync, appendFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import type { z } from "zod";

export class ResultsFileError extends Error {
  constructor(readonly file: string, readonly line: number | null, detail: string) {
    super(`${file}${line === null ? "" : `:${line}`}: ${detail}`);
    this.name = "ResultsFileError";
  }
}

/** A last line without its newline: what a crash during an append leaves behind. */
export interface TornLine {
  file: string;
  /** 1-based line number. */
  line: number;
  text: string;
}

export interface JsonLines<T> {
  values: T[];
  /** The torn last line, ignored (null when the file ended cleanly). */
  torn: TornLine | null;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync a directory so a created or renamed entry survives a crash. */
export function fsyncDir(dir: string): void {
  fsyncPath(dir);
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
}

function parseLine<T>(file: string, lineNo: number, text: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ResultsFileError(file, lineNo, `not valid JSON (${(e as Error).message}); the file is corrupt at this line — move it aside or fix the line by hand`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ResultsFileError(file, lineNo, `does not match the schema: ${issues(parsed.error)}`);
  return parsed.data;
}

/**
 * Reads and validates every line. A line that fails is an error naming its number, except a last
 * line without a newline that fails: that one is torn, returned in `torn` and ignored.
 * A missing file reads as empty.
 */
export function readJsonLines<T>(file: string, schema: z.ZodType<T>): JsonLines<T> {
  if (!existsSync(file)) return { values: [], torn: null };
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  const last = lines.pop() ?? "";
  const values: T[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === "") throw new ResultsFileError(file, i + 1, "empty line; the file was edited or corrupted — remove the line");
    values.push(parseLine(file, i + 1, l, schema));
  });
  let torn: TornLine | null = null;
  if (last !== "") {
    try {
      values.push(parseLine(file, lines.length + 1, last, schema));
    } catch (e) {
      if (!(e instanceof ResultsFileError)) throw e;
      torn = { file, line: lines.length + 1, text: last };
    }
  }
  return { values, torn };
}

/**
 * Before appending: a last line without its newline either is a whole record (the crash came just
 * before the newline: add it) or is torn (move it to `<file>.torn` for the record, then cut it off).
 */
function sealTail<T>(file: string, schema: z.ZodType<T>): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file, "utf8");
  if (text === "" || text.endsWith("\n")) return;
  const cut = text.lastIndexOf("\n") + 1;
  const tail = text.slice(cut);
  const whole = schema.safeParse((() => { try { return JSON.parse(tail) as unknown; } catch { return undefined; } })());
  if (whole.success) {
    appendFileSync(file, "\n");
  } else {
    appendFileSync(`${file}.torn`, `${tail}\n`);
    fsyncPath(`${file}.torn`);
    truncateSync(file, Buffer.byteLength(text.slice(0, cut)));
  }
  fsyncPath(file);
}

/** Validates `value`, appends it as one line and fsyncs the file and its directory before returning. */
export function appendJsonLine<T>(file: string, schema: z.ZodType<T>, value: T): void {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ResultsFileError(file, null, `refusing to write an invalid record: ${issues(parsed.error)}`);
  sealTail(file, schema);
  const fd = openSync(file, "a");
  try {
    const buf = Buffer.from(`${JSON.stringify(parsed.data)}\n`, "utf8");
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // The directory too: a newly created file's entry must survive a crash as well as its bytes.
  fsyncDir(dirname(file));
}

/** Writes JSON to a temp file beside `path`, fsyncs it, renames it over `path` and fsyncs the directory. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes text to a temp file beside `path`, fsyncs it, renames it over `path` and fsyncs the directory. */
export function writeTextAtomic(path: string, text: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx");
  try {
    const buf = Buffer.from(text, "utf8");
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
}

/** Reads a JSON file and validates it, with the file and key path in any error. */
export function readJsonFile<T>(path: string, schema: z.ZodType<T>): T {
  if (!existsSync(path)) throw new ResultsFileError(path, null, "missing");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ResultsFileError(path, null, `not valid JSON (${(e as Error).message})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ResultsFileError(path, null, `does not match the schema: ${issues(parsed.error)}`);
  return parsed.data;
}
