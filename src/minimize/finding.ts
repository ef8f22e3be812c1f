// Minimize a program's finding: keep the first finding's signature (kind + top frame).
import type { BugSet } from "../bugs/switches.js";
import { execute } from "../exec/executor.js";
import { print } from "../program/text.js";
import type { Program } from "../program/types.js";
import { signature, type Finding } from "../sanitizers/report.js";
import { minimize } from "./minimize.js";

export interface MinimizedFinding {
  program: Program;
  /** the first finding of the minimized program (same signature as the original's) */
  finding: Finding;
  /** simulator runs, including the initial run of `p` */
  executions: number;
  exhausted: boolean;
}

/** null when `p` has no finding under `bugs`. `executions` counts every run of the simulator. */
export function minimizeFinding(p: Program, opts: { bugs?: BugSet; budget?: number } = {}): MinimizedFinding | null {
  const first = execute(p, { bugs: opts.bugs }).findings[0];
  if (!first) return null;
  const sig = signature(first);
  // the finding of every program that kept the signature, by canonical text (the result is one)
  const kept = new Map<string, Finding>([[print(p), first]]);
  let runs = 1;
  const pred = (q: Program): boolean => {
    const text = print(q);
    if (kept.has(text)) return true;
    runs++;
    const f = execute(q, { bugs: opts.bugs }).findings[0];
    if (f === undefined || signature(f) !== sig) return false;
    kept.set(text, f);
    return true;
  };
  const r = minimize(p, pred, { budget: opts.budget });
  return { program: r.program, finding: kept.get(print(r.program))!, executions: runs, exhausted: r.exhausted };
}
