// The one atomic write of the project: a temp file in the same directory, then a rename, so a
// reader (or a process killed mid-write) sees the old file or the new one, never half of one.
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** A failed atomic write, naming the file asked for (not its temp file) and the errno code. */
export class WriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`${path}: cannot write: ${code}`);
  }
}

/**
 * Write `data` to `path` atomically. The parent directory is created when missing (as `--to`
 * and `--regressions` create theirs); a parent that is a file fails with ENOTDIR/EEXIST.
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, data, { flag: "w" });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    throw e instanceof Error && "code" in e && typeof e.code === "string" ? new WriteError(path, e.code) : e;
  }
}
