// Replay every corpus file: the declared verdicts with the file's switches, and clean on the
// fixed kernel. Shared by `replay-main` (plain node, CI coverage) and the vitest replay test.
import { verifyCorpusFile } from "./file.js";
import { listCorpusFiles } from "./walk.js";

export interface ReplayResult {
  passed: number;
  failed: number;
  /** one entry per failing file: its reasons */
  failures: { path: string; reasons: string[] }[];
}

export function replayCorpus(dirs: readonly string[]): ReplayResult {
  const r: ReplayResult = { passed: 0, failed: 0, failures: [] };
  for (const path of listCorpusFiles(dirs)) {
    const v = verifyCorpusFile(path);
    if (v.ok) r.passed++;
    else {
      r.failed++;
      r.failures.push({ path, reasons: v.reasons });
    }
  }
  return r;
}
