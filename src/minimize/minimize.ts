// The minimizer: a pure, deterministic function of (program, predicate). Passes run coarse to
// fine in rounds until a whole round changes nothing; every candidate is memoized by its
// canonical text (so none runs twice) and the number of predicate runs is bounded by a budget.
import { print } from "../program/text.js";
import type { Program } from "../program/types.js";
import {
  ddminEvents,
  dropControls,
  mergeTasks,
  removeEvents,
  renameCanonical,
  shrinkArgs,
  shrinkCpus,
  shrinkShared,
  shrinkStops,
  type Ctx,
  type Pass,
} from "./passes.js";
import { cloneProgram } from "./rename.js";

export const DEFAULT_MINIMIZE_BUDGET = 2000;
/** a safety net: rounds stop anyway once a round changes nothing */
const MAX_ROUNDS = 16;

export interface MinimizeResult {
  program: Program;
  /** predicate runs (distinct candidate texts) */
  executions: number;
  /** the budget ran out: the result still passes the predicate but may not be minimal */
  exhausted: boolean;
}

/**
 * The passes of one round, coarse first. The last one is single-event removal, so when a round
 * changes nothing the result is 1-minimal w.r.t. removing any one event.
 */
export const PASSES: readonly { name: string; pass: Pass }[] = [
  { name: "drop cpu/gp/fail_alloc", pass: dropControls },
  { name: "ddmin events", pass: ddminEvents },
  { name: "@k stops", pass: shrinkStops },
  { name: "cpus", pass: shrinkCpus },
  { name: "merge tasks", pass: mergeTasks },
  { name: "shared addresses and values", pass: shrinkShared },
  { name: "arguments", pass: shrinkArgs },
  { name: "canonical names", pass: renameCanonical },
  { name: "remove single events", pass: removeEvents },
];

export function minimize(p: Program, pred: (p: Program) => boolean, opts: { budget?: number } = {}): MinimizeResult {
  const budget = opts.budget ?? DEFAULT_MINIMIZE_BUDGET;
  const memo = new Map<string, boolean>();
  let executions = 0;
  let exhausted = false;
  const ctx: Ctx = {
    test(q) {
      const key = print(q);
      const hit = memo.get(key);
      if (hit !== undefined) return hit;
      if (executions >= budget) {
        exhausted = true;
        return false;
      }
      executions++;
      let ok: boolean;
      try {
        ok = pred(cloneProgram(q)) === true;
      } catch {
        ok = false; // a candidate that crashes the harness is not the behaviour we keep
      }
      memo.set(key, ok);
      return ok;
    },
  };
  let cur = cloneProgram(p);
  if (!ctx.test(cur)) return { program: cur, executions, exhausted };
  for (let round = 0; round < MAX_ROUNDS && !exhausted; round++) {
    const before = print(cur);
    for (const { pass } of PASSES) {
      const next = pass(cur, ctx);
      // a pass only ever returns programs that passed; keep the canonical text's program
      if (print(next) !== print(cur)) cur = next;
      if (exhausted) break;
    }
    if (print(cur) === before) break;
  }
  return { program: cur, executions, exhausted };
}
