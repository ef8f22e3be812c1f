// Reading programs from files: canonical text (.fz) or raw fuzzer bytes (crash files).
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { decode } from "./codec.js";
import type { EventKind } from "./events.js";
import { parse } from "./text.js";
import type { Program } from "./types.js";

/** the largest program file read (text or bytes) */
export const MAX_PROGRAM_FILE = 1 << 20;

export class ProgramFileError extends Error {}

const CAUSES: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "is a directory",
  ENOTDIR: "a component of the path is not a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "name too long",
  EEXIST: "exists and is not a directory",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
};

/** `PATH: [what: ]CODE (cause)` for a failed file-system call, e.g. `x.fz: cannot read: EACCES (permission denied)` */
export function fsCause(e: unknown, what?: string): string | undefined {
  if (!(e instanceof Error) || !("code" in e) || typeof e.code !== "string" || !/^E[A-Z]+$/.test(e.code)) return undefined;
  const path = "path" in e && typeof e.path === "string" ? e.path : undefined;
  const cause = `${what ? `${what}: ` : ""}${e.code}${CAUSES[e.code] ? ` (${CAUSES[e.code]})` : ""}`;
  return path ? `${path}: ${cause}` : cause;
}

/** Heuristic used for crash intake: text programs are printable UTF-8 without NULs. */
export function looksLikeText(buf: Uint8Array): boolean {
  return controlByte(buf) < 0 && utf8Error(buf) < 0;
}

function controlByte(buf: Uint8Array): number {
  return buf.findIndex((b) => b === 0 || (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09));
}

/** the 1-based line of the first invalid UTF-8 sequence, or -1 */
function utf8Error(buf: Uint8Array): number {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(buf);
    return -1;
  } catch {
    const text = new TextDecoder("utf-8").decode(buf);
    const bad = text.indexOf("\ufffd");
    return text.slice(0, Math.max(0, bad)).split("\n").length;
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
 * Read a whole regular file of at most MAX_PROGRAM_FILE bytes. A directory, a FIFO or a device
 * is refused before any read (a FIFO would block); every failure is a ProgramFileError whose
 * message names the file and the cause.
 */
export function readProgramBytes(path: string): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang (it is refused below)
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new ProgramFileError(fsCause(e, "cannot read") ?? `${path}: cannot read: ${String(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ProgramFileError(`${path}: is a directory (EISDIR), not a program file`);
    if (!st.isFile()) throw new ProgramFileError(`${path}: not a regular file (a FIFO, socket or device); programs are read from files`);
    if (st.size > MAX_PROGRAM_FILE) throw new ProgramFileError(`${path}: too large (${st.size} bytes; the limit for a program file is ${MAX_PROGRAM_FILE} bytes, 1 MiB)`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } catch (e) {
    if (e instanceof ProgramFileError) throw e;
    // reads on a descriptor carry no path
    throw new ProgramFileError(`${path}: ${fsCause(e, "cannot read") ?? `cannot read: ${String(e)}`}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Load a program. `.fz` files must be text; other files are text if they look like it, else
 * raw bytes, decoded with `kinds` (the event table of the fuzz target that wrote them; default
 * all kinds). A program without events (an empty file, only comments or `config`) is an error
 * whatever the file's name. Errors name the file (and line/column for syntax errors).
 */
export function loadProgramFile(path: string, opts: { allowBytes?: boolean; kinds?: readonly EventKind[] } = {}): LoadedProgram {
  const buf = readProgramBytes(path);
  const isFz = path.endsWith(".fz");
  const empty = (): never => {
    throw new ProgramFileError(`${path}: empty program file`);
  };
  if (buf.length === 0) empty();
  if (looksLikeText(buf)) {
    const text = buf.toString("utf8");
    if (isFz || !opts.allowBytes || /^(#|config |t[0-9]+ )/m.test(text)) {
      const program = parse(text, path);
      if (program.events.length === 0) empty();
      return { program, form: "text", text };
    }
  }
  if (isFz || !opts.allowBytes) {
    if (controlByte(buf) < 0) throw new ProgramFileError(`${path}:${utf8Error(buf)}: not valid UTF-8 (a program file is UTF-8 text; comments too)`);
    throw new ProgramFileError(isFz ? `${path}: binary data in a .fz program file` : `${path}: not a text program`);
  }
  return { program: decode(buf, opts.kinds), form: "bytes" };
}
