// futex-fuzz corpus merge: shrink the fuzzers' byte corpora (WORK/<target>/corpus) with libFuzzer
// -merge=1, keeping their coverage. The text corpora are never touched.
import { existsSync } from "node:fs";
import { TARGET_EVENTS } from "../program/targets.js";
import { targetTable } from "./target.js";
import { MergeError, mergeCorpus, type MergeResult } from "../fuzzing/merge.js";
import { displayPath, targetModule, workDirs } from "../fuzzing/paths.js";
import { fmtInt } from "../fuzzing/progress.js";
import { UsageError } from "./args.js";
import type { Io } from "./main.js";

/** --target T[,T...]; none: every target that has a byte corpus in the work dir */
export function mergeTargets(spec: string | undefined, workDir: string): string[] {
  const known = Object.keys(TARGET_EVENTS);
  if (spec === undefined) return known.filter((t) => existsSync(workDirs(workDir, t).corpus));
  const list = spec.split(",").filter(Boolean);
  if (!list.length) throw new UsageError("--target needs a target name");
  for (const t of list) targetTable(t);
  return [...new Set(list)];
}

export function formatMerge(r: MergeResult): string {
  const where = displayPath(r.dirs.corpus);
  const lines: string[] = [];
  if (r.repaired) lines.push(`${r.target}: ${r.repaired}`);
  if (r.skipped) {
    lines.push(`${r.target}: ${r.skipped} in ${where}, nothing to merge`);
  } else {
    const cov = r.features !== undefined ? ` (${fmtInt(r.features)} features, ${fmtInt(r.edges ?? 0)} edges kept)` : "";
    lines.push(
      `${r.target}: ${fmtInt(r.before)} -> ${fmtInt(r.after)} inputs, ${fmtInt(r.beforeBytes)} -> ${fmtInt(r.afterBytes)} bytes in ${where}${cov}`,
    );
  }
  return lines.join("\n") + "\n";
}

export async function corpusMerge(targetSpec: string | undefined, workDir: string, verbose: boolean, io: Io): Promise<number> {
  const targets = mergeTargets(targetSpec, workDir);
  if (!targets.length) {
    io.out(`no byte corpus under ${displayPath(workDir)} (futex-fuzz fuzz writes WORK/<target>/corpus)\n`);
    return 0;
  }
  let failed = 0;
  for (const target of targets) {
    const module = targetModule(target);
    if (!existsSync(module)) {
      io.err(`futex-fuzz corpus merge: ${module} is missing; run \`npm run build\` first\n`);
      return 3;
    }
    try {
      const onLine = verbose ? (l: string) => io.err(`${l}\n`) : undefined;
      io.out(formatMerge(await mergeCorpus({ target, workDir, onLine, onProgress: verbose ? undefined : (n) => io.err(`[merge] ${n}\n`) })));
    } catch (e) {
      if (!(e instanceof MergeError)) throw e;
      if (e.refused) throw new UsageError(e.message);
      failed++;
      io.err(`futex-fuzz corpus merge: ${e.message}\n`);
    }
  }
  return failed ? 3 : 0;
}
