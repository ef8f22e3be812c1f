// The reference model against the simulator on generated programs with PI events (FUTEX_LOCK_PI,
// TRYLOCK_PI, UNLOCK_PI [robust], WAIT_REQUEUE_PI, CMP_REQUEUE_PI; test/model-arb.ts). The
// generator mixes them with everything else; here only the programs that contain a PI event
// count, and the model must accept most of them (it declines what scheduling decides; a program
// whose expansion the model could not follow to its end counts as declined).
// FC_PI_RUNS=<n> scales the run count; FC_SEED=<n> reproduces a run.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compare, explain } from "../src/model/compare.js";
import { reference } from "../src/model/reference.js";
import { parse } from "../src/program/text.js";
import { kindOf } from "../src/program/events.js";
import type { Program } from "../src/program/types.js";
import { arbIntents, expand, type Intents } from "./model-arb.js";

const seed = process.env.FC_SEED && process.env.FC_SEED !== "random" ? Number(process.env.FC_SEED) : undefined;
const RUNS = process.env.FC_PI_RUNS ? Number(process.env.FC_PI_RUNS) : 3000;
const hasPi = (p: Program): boolean => p.events.some((e) => kindOf(e.op).group === "pi");

/** the model's results (and the simulator must agree with them) */
const rets = (text: string) => {
  const c = compare(parse(text));
  expect(c.unsupported).toBeUndefined();
  expect(c.mismatch?.why ?? null).toBeNull();
  return reference(parse(text)).syscalls.map((s) => s.ret);
};
const W = 0x80000000; // FUTEX_WAITERS
const D = 0x40000000; // FUTEX_OWNER_DIED

describe("reference model: PI semantics, hand-checked against futex(2) and pi.c/requeue.c", () => {
  it("TID 0 is taken (WAITERS dropped, OWNER_DIED kept); our TID is -EDEADLK; unlock stores 0", () => {
    const text = `t0 mmap m0 anon
t0 store m0+256 ${W}
t0 futex_lock_pi m0+256
t0 load m0+256
t0 futex_lock_pi m0+256
t0 store m0+260 ${D}
t0 futex_lock_pi m0+260
t0 load m0+260
t0 futex_unlock_pi m0+260
t0 load m0+260
`;
    expect(rets(text).slice(2)).toEqual([0, 1000, -35, 0, 0, (D | 1000) >>> 0, 0, 0]);
  });

  it("a dead owner's word: WAITERS set, -ESRCH; trylock where lock would block: -EAGAIN", () => {
    const text = `t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t1 store m0+256 tid:t1
t1 exit
t0 futex_lock_pi m0+256
t0 load m0+256
t0 futex_lock_pi m0+260
t2 futex_trylock_pi m0+260
t2 load m0+260
t2 futex_unlock_pi m0+260
t0 futex_unlock_pi m0+260
`;
    expect(rets(text).slice(5)).toEqual([-3, (W | 1001) >>> 0, 0, -11, (W | 1000) >>> 0, -1, 0]);
  });

  it("unlock hands the lock to the first blocked locker; an owner's exit leaves it OWNER_DIED", () => {
    const text = `t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t0 spawn t3
t1 futex_lock_pi m0+256
t2 futex_lock_pi m0+256
t3 futex_lock_pi m0+256
t1 futex_unlock_pi m0+256
t0 load m0+256
t2 exit
t0 load m0+256
t0 futex_lock_pi m0+256
run t3
t0 load m0+256
`;
    // t2 owned it (woken, never ran: its exit hands it on); the word still names t2 until t3
    // runs, and kernel state with no owner and no OWNER_DIED rejects t0 (-EINVAL)
    expect(rets(text).slice(4)).toEqual([0, 0, 0, 0, (W | 1002) >>> 0, null, (W | 1002) >>> 0, -22, (W | D | 1003) >>> 0]);
  });

  it("requeue-PI: the first waiter takes a free lock (WAITERS only if more may follow), others queue", () => {
    const text = `t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t0 spawn t3
t1 futex_wait_requeue_pi m0+288 0 m0+256
t0 futex_cmp_requeue_pi m0+288 m0+256 1 0 0
t0 load m0+256
t2 futex_wait_requeue_pi m0+292 0 m0+260
t3 futex_wait_requeue_pi m0+292 0 m0+260
t0 futex_cmp_requeue_pi m0+292 m0+260 1 1 0
t0 load m0+260
t0 futex_cmp_requeue_pi m0+292 m0+260 2 1 0
signal t3 usr1
run t3
t2 futex_unlock_pi m0+260
t0 load m0+260
`;
    expect(rets(text).slice(4)).toEqual([0, 1, 1001, 0, -11, 2, (W | 1002) >>> 0, -22, 0, 0]);
  });
});

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
