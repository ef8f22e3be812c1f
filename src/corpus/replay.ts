// The one corpus verify loop: every corpus file's declared verdicts with its switches, and clean
// on the fixed kernel. `corpus check`, `replay-main` (plain node, CI coverage) and the vitest
// replay test all go through it.
import { verifyCorpusFile, type Verification } from "./file.js";
import { listCorpusFiles } from "./walk.js";

export interface ReplayResult {
  passed: number;
  failed: number;
  /** files whose run hit the step budget (counted in failed too) */
  noVerdict: number;
  /** one entry per failing file: its reasons */
  failures: { path: string; reasons: string[]; noVerdict: boolean }[];
}

export function replayCorpus(dirs: readonly string[], onFile?: (path: string, v: Verification) => void): ReplayResult {
  const r: ReplayResult = { passed: 0, failed: 0, noVerdict: 0, failures: [] };
  for (const path of listCorpusFiles(dirs)) {
    const v = verifyCorpusFile(path);
    onFile?.(path, v);
    if (v.ok) r.passed++;
    else {
      r.failed++;
      if (v.noVerdict) r.noVerdict++;
      r.failures.push({ path, reasons: v.reasons, noVerdict: v.noVerdict ?? false });
    }
  }
  return r;
}
