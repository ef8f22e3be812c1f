// Reading programs from files: canonical text (.fz) or raw fuzzer bytes (crash files).
import { readFileSync, statSync } from "node:fs";
import { decode } from "./codec.js";
import type { EventKind } from "./events.js";
import { parse } from "./text.js";
import type { Program } from "./types.js";

export const MAX_PROGRAM_FILE = 1 << 20;

export class ProgramFileError extends Error {}

/** Heuristic used for crash intake: text programs are printable UTF-8 without NULs. */
export function looksLikeText(buf: Uint8Array): boolean {
  if (buf.length === 0) return true;
  for (const b of buf) if (b === 0 || (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

export interface LoadedProgram {
  program: Program;
  /** `text` for .fz programs, `bytes` for raw fuzzer inputs decoded with the byte codec */
  form: "text" | "bytes";
  /** the file's text when it was a text program (header comments included) */
  text?: string;
}

/**
 * Load a program. `.fz` files must be text; other files are text if they look like it, else
 * raw bytes, decoded with `kinds` (the event table of the fuzz target that wrote them; default
 * all kinds). Errors name the file (and line/column for syntax errors).
 */
export function loadProgramFile(path: string, opts: { allowBytes?: boolean; kinds?: readonly EventKind[] } = {}): LoadedProgram {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new ProgramFileError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (size > MAX_PROGRAM_FILE) throw new ProgramFileError(`${path}: too large (${size} bytes, limit ${MAX_PROGRAM_FILE})`);
  const buf = readFileSync(path);
  const isFz = path.endsWith(".fz");
  if (looksLikeText(buf)) {
    const text = buf.toString("utf8");
    if (isFz && text.trim() === "") throw new ProgramFileError(`${path}: empty program file`);
    if (isFz || !opts.allowBytes || /^(#|config |t[0-9]+ )/m.test(text)) return { program: parse(text, path), form: "text", text };
  }
  if (isFz) throw new ProgramFileError(`${path}: binary data in a .fz program file`);
  if (!opts.allowBytes) throw new ProgramFileError(`${path}: not a text program`);
  return { program: decode(buf, opts.kinds), form: "bytes" };
}
