// The simulator's side of a kernel diff: the fixed model's results and, at quiescence (every
// event run, the kernel drained, before teardown), the user words the host run reads back.
import { execute, type Verdict } from "../exec/executor.js";
import { OBS, type Kernel } from "../kernel/kernel.js";
import type { Program } from "../program/types.js";
import { wordKey, type Words } from "./runner.js";

export interface SimRun {
  verdict: Verdict;
  words: Words;
}

function readWords(k: Kernel, addrs: readonly number[], into: Words): void {
  const seen = new Set<object>();
  const live = [...k.tasks.values()].filter((t) => t.state !== "exited" && t.mm).sort((a, b) => a.id - b.id);
  for (const t of live) {
    const mm = t.mm!;
    if (seen.has(mm)) continue;
    seen.add(mm);
    for (const a of addrs) {
      const v = mm.as.read(a);
      if (v !== null) into.set(wordKey(t.id, a), v >>> 0);
    }
  }
}

/** Run on the fixed model (no bug switches: kernel-diff compares the host with the fixed kernel). */
export function runOnSim(p: Program, addrs: readonly number[]): SimRun {
  const words: Words = new Map();
  const verdict = execute(p, {
    kernel: { observer: (k) => (site) => void (site === OBS.QUIESCENT && readWords(k, addrs, words)) },
  });
  return { verdict, words };
}
