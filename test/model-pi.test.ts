// The reference model against the simulator on generated programs with PI events (FUTEX_LOCK_PI,
// TRYLOCK_PI, UNLOCK_PI [robust], WAIT_REQUEUE_PI, CMP_REQUEUE_PI; test/model-arb.ts). The
// generator mixes them with everything else; here only the programs that contain a PI event
// count, and the model must accept most of them (it declines what scheduling decides; a program
// whose expansion the model could not follow to its end counts as declined).
// FC_PI_RUNS=<n> scales the run count; FC_SEED=<n> reproduces a run.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compare, explain } from "../src/model/compare.js";
import { kindOf } from "../src/program/events.js";
import type { Program } from "../src/program/types.js";
import { arbIntents, expand, type Intents } from "./model-arb.js";

const seed = process.env.FC_SEED && process.env.FC_SEED !== "random" ? Number(process.env.FC_SEED) : undefined;
const RUNS = process.env.FC_PI_RUNS ? Number(process.env.FC_PI_RUNS) : 3000;
const hasPi = (p: Program): boolean => p.events.some((e) => kindOf(e.op).group === "pi");

describe("simulator vs reference model: PI futexes", () => {
  it(`${RUNS} generated programs agree; most with PI events are compared`, () => {
    let pi = 0;
    let piDeclined = 0;
    const reasons = new Map<string, number>();
    const r = fc.check(
      fc.property(arbIntents(), (g: Intents) => {
        // an expansion the model cannot follow ends before the undecidable event: count it too
        let stop: string | undefined;
        const p = expand(g, { onStop: (why) => (stop = why) });
        const c = compare(p);
        if (hasPi(p)) {
          pi++;
          const why = c.unsupported ?? stop;
          if (why !== undefined) {
            piDeclined++;
            const key = why.replace(/t\d+/g, "tN");
            reasons.set(key, (reasons.get(key) ?? 0) + 1);
          }
        }
        if (c.unsupported) return true;
        return c.findings.length === 0 && c.mismatch === null && c.sim.length > 0;
      }),
      { numRuns: RUNS, ...(seed !== undefined ? { seed } : {}) },
    );
    if (r.failed) {
      const p = expand(r.counterexample![0]);
      throw new Error(`seed ${r.seed} path ${r.counterexamplePath}\n${explain(p, compare(p))}`);
    }
    const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([w, n]) => `${n} ${w}`);
    console.log(`PI model check: ${RUNS} programs, ${pi} with PI events, ${piDeclined} of them declined (${((100 * (pi - piDeclined)) / Math.max(pi, 1)).toFixed(1)}% compared)\n  ${top.join("\n  ")}`);
    expect(pi).toBeGreaterThan(RUNS / 2);
    expect(piDeclined).toBeLessThan(pi * 0.1);
  });
});
