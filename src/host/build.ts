// The native runner (native/futex-runner.c), compiled on demand with the system `cc` and cached
// under .cache/ by a hash of its source: a changed source builds a new binary, an unchanged one
// is never rebuilt.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../fuzzing/paths.js";

export const RUNNER_SOURCE = join(PROJECT_ROOT, "native", "futex-runner.c");
export const CACHE_DIR = join(PROJECT_ROOT, ".cache");
const CFLAGS = ["-O1", "-Wall", "-pthread"];

/** The host cannot run programs: exit status 3 of kernel-diff, with this message. */
export class HostUnavailable extends Error {}

/** Compile (or find cached) the runner; throws HostUnavailable when there is no working `cc`. */
export function runnerBinary(): string {
  const src = readFileSync(RUNNER_SOURCE);
  const hash = createHash("sha256").update(src).update(CFLAGS.join(" ")).digest("hex").slice(0, 16);
  const bin = join(CACHE_DIR, `futex-runner-${hash}`);
  if (existsSync(bin)) return bin;
  if (process.platform !== "linux" || process.arch !== "x64") throw new HostUnavailable(`the runner needs Linux on x86-64 (this is ${process.platform}/${process.arch})`);
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync("cc", [...CFLAGS, "-o", tmp, RUNNER_SOURCE], { encoding: "utf8" });
  if (r.error) throw new HostUnavailable(`no C compiler: cannot run 'cc' (${r.error.message})`);
  if (r.status !== 0) throw new HostUnavailable(`cc failed to build ${RUNNER_SOURCE}:\n${r.stderr.trim()}`);
  renameSync(tmp, bin);
  // builds of older sources: gone after a day (a run started before the edit may still use one)
  for (const f of readdirSync(CACHE_DIR)) {
    const p = join(CACHE_DIR, f);
    if (/^futex-runner-[0-9a-f]{16}$/.test(f) && p !== bin && Date.now() - statSync(p).mtimeMs > 86_400_000) rmSync(p, { force: true });
  }
  return bin;
}
