// Tests that run the compiled output (jazzer targets, bench workers) rebuild dist/ when it is
// older than the sources: `npm test` builds first, a bare `vitest run` after an edit does not.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";

function newestTs(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestTs(p));
    else if (e.name.endsWith(".ts")) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Build dist/ unless `marker` (a path under dist/) is newer than every source file. */
export function ensureBuilt(marker: string): void {
  const built = join(PROJECT_ROOT, "dist", marker);
  const src = Math.max(...["src", "fuzz", "scripts"].map((d) => newestTs(join(PROJECT_ROOT, d))));
  if (existsSync(built) && statSync(built).mtimeMs >= src) return;
  try {
    execFileSync(process.execPath, [join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: PROJECT_ROOT, stdio: "pipe" });
  } catch {
    // type errors still emit JavaScript; a missing module fails the tests that need it clearly
  }
}
