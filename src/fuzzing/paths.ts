// Where a campaign's files live. The project root is found by walking up from this module (it
// runs both from src/ under vitest and from dist/src/ when compiled) to futex-fuzz's package.json.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "futex-fuzz") return dir;
      } catch {
        /* not ours: keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("futex-fuzz: cannot find the project root (package.json)");
    dir = up;
  }
}

export const PROJECT_ROOT = findRoot();

/** text corpora the byte corpus is seeded from (never corpus/regressions) */
export const SEED_DIRS = [join(PROJECT_ROOT, "corpus", "seeds"), join(PROJECT_ROOT, "corpus", "conformance")];
export const DEFAULT_REGRESSIONS = join(PROJECT_ROOT, "corpus", "regressions");
export const DEFAULT_WORK_DIR = join(PROJECT_ROOT, ".fuzz-out");

/** the compiled jazzer.js file of a fuzz target */
export function targetModule(target: string): string {
  return join(PROJECT_ROOT, "dist", "fuzz", `${target}.js`);
}

export interface WorkDirs {
  /** .fuzz-out/<target> */
  root: string;
  /** the writable byte corpus libFuzzer reads and adds to */
  corpus: string;
  /** crash-/timeout-/oom- files (libFuzzer -artifact_prefix) */
  artifacts: string;
  /** the event dictionary written from the seeds (libFuzzer -dict) */
  dict: string;
}

export function workDirs(workDir: string, target: string): WorkDirs {
  const root = join(workDir, target);
  return { root, corpus: join(root, "corpus"), artifacts: join(root, "artifacts"), dict: join(root, "events.dict") };
}

/** a path as printed: relative to the working directory when it is below it */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith("..") ? r : p;
}
