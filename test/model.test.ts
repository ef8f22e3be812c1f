// Model-based test: the simulator against the sequential reference model (src/model/).
//
// 1. Sequential programs (no `@k`): every syscall's return value and every touched memory word
//    (final loads) must agree with the model, and the fixed kernel must report nothing.
// 2. Interleaved programs (`@k`, step, run, irq, fail_alloc): invariants that hold under any
//    interleaving.
// Seeds: FC_SEED=<n> reproduces a run; FC_RUNS=<n> scales the sequential run count.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { execute } from "../src/exec/executor.js";
import { compare, explain, type Comparison } from "../src/model/compare.js";
import { reference } from "../src/model/reference.js";
import { parse, print } from "../src/program/text.js";
import type { Program } from "../src/program/types.js";
import { arbIntents, arbInterleaving, expand, interleave, type Intents } from "./model-arb.js";
import { arbUsefulProgram } from "./arb.js";

const seed = process.env.FC_SEED && process.env.FC_SEED !== "random" ? Number(process.env.FC_SEED) : undefined;
const RUNS = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : 15000;

function check(p: Program): Comparison {
  return compare(p);
}

const fz = (text: string): Program => parse(text);

describe("reference model: hand-checked semantics", () => {
  const rets = (text: string) => reference(fz(text)).syscalls.map((s) => s.ret);

  it("nr_wake 0 still wakes one; FIFO per key; misaligned is -EINVAL", () => {
    expect(rets("t0 mmap m0 anon\nt0 spawn t1\nt0 spawn t2\nt1 futex_wait m0+0 0\nt2 futex_wait m0+0 0\nt0 futex_wake m0+0 0\nt0 futex_wait m0+2 0\n")).toEqual([
      0x10000000, 1001, 1002, 0, null, 1, -22,
    ]);
  });

  it("requeue returns woken + requeued; cmp_requeue -EAGAIN when the word differs", () => {
    const text = `t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t0 spawn t3
t1 futex_wait m0+0 0
t2 futex_wait m0+0 0
t3 futex_wait m0+0 0
t0 futex_cmp_requeue m0+0 m0+4 1 1 7
t0 futex_cmp_requeue m0+0 m0+4 1 1 0
t0 futex_wake m0+4 0x7fffffff
t0 futex_wake m0+0 0x7fffffff
`;
    expect(rets(text).slice(4)).toEqual([0, 0, 0, -11, 2, 1, 1]);
  });

  it("private and shared keys; file pages are shared across fork, anonymous ones are not", () => {
    const text = `t0 mmap m0 file f0
t0 mmap m1 anon
t0 fork t1
t1 spawn t2
t1 futex_wait m0+0 0 shared
t2 futex_wait m1+0 0 shared
t0 futex_wake m0+0 1
t0 futex_wake m1+0 1 shared
t0 futex_wake m0+0 1 shared
`;
    expect(rets(text)).toEqual([0x10000000, 0x10001000, 1001, 1002, 0, null, 0, 0, 1]);
  });

  it("GET/SET_SLOTS: 0, 16 after the first thread, custom sizes, -EINVAL, global is final", () => {
    const text = `t0 hash_get_slots
t0 hash_set_slots 3
t0 spawn t1
t0 hash_get_slots
t0 hash_set_slots 4
t1 hash_get_slots
t0 hash_set_slots 1
t0 hash_set_slots 0
t0 hash_get_slots
t0 hash_set_slots 16
t0 spawn t2
t0 hash_get_slots
`;
    expect(rets(text)).toEqual([0, -22, 1001, 16, 0, 4, -22, 0, 0, -16, 1002, 0]);
  });

  it("robust owner death: OWNER_DIED|WAITERS, TID cleared, one waiter woken (EOWNERDEAD)", () => {
    const text = `t0 mmap m0 file f0
t0 fork t1
t1 robust_init m0+64
t1 robust_lock m0+0
t0 robust_init m0+80
t0 robust_lock m0+0
t1 load m0+0
t1 exit
t0 load m0+0
`;
    const r = reference(fz(text)).syscalls.map((s) => `t${s.task} ${s.event} = ${s.ret}`);
    expect(r).toEqual([
      "t0 mmap m0 file f0 = 268435456",
      "t0 fork t1 = 1001",
      "t1 robust_init m0+64 = 0",
      "t1 robust_lock m0+0 = 0",
      "t0 robust_init m0+80 = 0",
      `t0 robust_lock m0+0 = 130`, // woken by the death, takes the lock from the dead owner
      `t1 load m0+0 = ${(0x80000000 | 1001) >>> 0}`,
      "t1 exit = null",
      `t0 load m0+0 = ${(0x80000000 | 1000) >>> 0}`,
    ]);
  });
});

describe("simulator vs reference model: sequential programs", () => {
  it(`${RUNS} generated programs agree (returns and memory words)`, () => {
    let unsupported = 0;
    let events = 0;
    const t0 = performance.now();
    const r = fc.check(
      fc.property(arbIntents(), (g: Intents) => {
        const p = expand(g);
        events += p.events.length;
        const c = check(p);
        if (c.unsupported) {
          unsupported++;
          return true;
        }
        return c.findings.length === 0 && c.mismatch === null && c.sim.length > 0;
      }),
      { numRuns: RUNS, ...(seed !== undefined ? { seed } : {}) },
    );
    if (r.failed) {
      const p = expand(r.counterexample![0]);
      throw new Error(`seed ${r.seed} path ${r.counterexample ? r.counterexamplePath : "?"}\n${explain(p, check(p))}`);
    }
    const ms = performance.now() - t0;
    console.log(
      `model check: ${RUNS} programs, ${(events / RUNS).toFixed(1)} events avg, ${unsupported} declined, ${ms.toFixed(0)} ms`,
    );
    expect(unsupported).toBeLessThan(RUNS * 0.02);
  });

  it("known limit: a requeue into a busy key that shares a hash bucket keeps chain order", () => {
    // m0+0 and m0+32 share a bucket of the 16-slot private hash: t1 (requeued) is woken before
    // t2, which slept on m0+32 first. The model queues requeued waiters behind key2's sleepers;
    // the generator never requeues into a busy key, and this case records the difference.
    const p = fz(`t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t1 futex_wait m0+0 0
t2 futex_wait m0+32 0
t0 futex_requeue m0+0 m0+32 0 1
t0 futex_wake m0+32 1
`);
    const c = check(p);
    expect(c.sim.map((s) => s.ret).slice(3, 5)).toEqual([0, null]);
    expect(c.model.map((s) => s.ret).slice(3, 5)).toEqual([null, 0]);
  });
});

describe("the model check can fail (test-only seams)", () => {
  const shrunk = (simulate?: (p: Program) => ReturnType<typeof execute>, faults?: { requeueDropsLast: boolean }) => {
    const r = fc.check(
      // without PI intents: the seeded stream (and so the shrunk size) stays what it was
      fc.property(arbIntents({ pi: false }), (g) => {
        const p = expand(g);
        const c = compare(p, { ...(simulate ? { simulate } : {}), model: { ...(faults ? { faults } : {}) } });
        return c.unsupported !== undefined || c.mismatch === null;
      }),
      { numRuns: 3000, seed: 7 },
    );
    expect(r.failed).toBe(true);
    const p = expand(r.counterexample![0]);
    return { p, c: compare(p, { ...(simulate ? { simulate } : {}), model: { ...(faults ? { faults } : {}) } }) };
  };

  it("a simulator whose FUTEX_WAKE reports one more than it woke is caught, shrunk to a few events", () => {
    const wakePlusOne = (p: Program) => {
      const v = execute(p);
      return { ...v, syscalls: v.syscalls.map((s) => (s.event.startsWith("futex_wake ") && s.ret !== null && s.ret >= 0 ? { ...s, ret: s.ret + 1 } : s)) };
    };
    const { p, c } = shrunk(wakePlusOne);
    expect(c.mismatch?.why).toMatch(/futex_wake/);
    expect(p.events.length).toBeLessThanOrEqual(4);
    expect(print(p)).toMatch(/futex_wake/);
  });

  it("a model that loses the last waiter it requeues is caught, shrunk to a few events", () => {
    const { p, c } = shrunk(undefined, { requeueDropsLast: true });
    expect(c.mismatch).not.toBeNull();
    expect(print(p)).toMatch(/requeue/);
    expect(p.events.length).toBeLessThanOrEqual(6);
  });
});

/**
 * Invariants that hold under any interleaving: no finding on the fixed kernel; every futex_wait
 * ends once, with a legal result (0 only if woken); a syscall that never returned ends its task;
 * without robust mutexes (whose sleepers can be woken more than once, and whose owners' deaths
 * wake from the kernel) and clear_child_tid words (the exit's wake comes from the kernel too),
 * every counted FUTEX_WAKE took a distinct sleeper (timed or not) and every wait that returned 0
 * was woken by a FUTEX_WAKE or a requeue.
 */
function checkInvariants(p: Program): void {
  const LEGAL_WAIT = new Set<number | null>([0, -11, -22, -14, -4, null]);
  const LEGAL_TIMED_WAIT = new Set<number | null>([...LEGAL_WAIT, -110, -38]);
  const v = execute(p);
  if (v.stats.limit) return;
  expect(v.findings).toEqual([]);
  const byTask = new Map<number, (number | null)[]>();
  for (const s of v.syscalls) {
    if (!byTask.has(s.task)) byTask.set(s.task, []);
    byTask.get(s.task)!.push(s.ret);
    if (s.event.startsWith("futex_wait ") || s.event.startsWith("futex2_wait ")) expect(LEGAL_WAIT.has(s.ret)).toBe(true);
    if (s.event.startsWith("futex_wait_timeout ")) expect(LEGAL_TIMED_WAIT.has(s.ret)).toBe(true);
    if (s.event.startsWith("futex_wake ") && s.ret !== null && s.ret < 0) expect([-22, -14]).toContain(s.ret);
  }
  for (const rs of byTask.values()) expect(rs.slice(0, -1).every((r) => r !== null)).toBe(true);
  if (p.events.some((e) => e.op.startsWith("robust") || e.op.endsWith("robust_list") || e.op === "irq" || e.op === "spawn_cleartid" || e.op === "set_tid_address")) return;
  // futex2_wait is a FUTEX_WAIT; a futex_waitv that slept had one futex_q per entry, each of
  // which a wake can take (it returns once)
  const waits = v.syscalls.filter((s) => s.event.startsWith("futex_wait ") || s.event.startsWith("futex2_wait ") || s.event.startsWith("futex_wait_timeout "));
  const sum = (pre: string) => v.syscalls.filter((s) => s.event.startsWith(pre) && s.ret !== null && s.ret > 0).reduce((a, s) => a + s.ret!, 0);
  let woken = waits.filter((s) => s.ret === 0).length;
  let asleep = waits.filter((s) => s.ret === 0 || s.ret === null).length;
  const entries = new Map<number, number>();
  for (const s of v.syscalls) {
    if (s.event.startsWith("waitv_entry ")) entries.set(s.task, (entries.get(s.task) ?? 0) + 1);
    if (s.event === "futex_waitv" || s.event.startsWith("futex2_requeue ")) {
      if (s.event === "futex_waitv" && (s.ret === null || s.ret >= 0)) asleep += entries.get(s.task) ?? 0;
      if (s.event === "futex_waitv" && s.ret !== null && s.ret >= 0) woken++;
      entries.delete(s.task);
    }
  }
  const wakes = sum("futex_wake ") + sum("futex2_wake ") + sum("futex_wake_op ");
  expect(wakes).toBeLessThanOrEqual(asleep);
  expect(woken).toBeLessThanOrEqual(wakes + sum("futex_requeue ") + sum("futex_cmp_requeue ") + sum("futex2_requeue "));
}

describe("interleaved programs: invariants under any interleaving", () => {
  it("random programs (test/arb.ts, every event kind, @k stops)", () => {
    fc.assert(
      fc.property(arbUsefulProgram({ maxEvents: 30, tasks: 4, regions: 3 }), (p) => checkInvariants(p)),
      { numRuns: 1500, ...(seed !== undefined ? { seed } : {}) },
    );
  });

  it("generated sequential programs cut up with @k stops, step, run, cpu and gp", () => {
    fc.assert(
      fc.property(arbIntents(), arbInterleaving(), (g, il) => checkInvariants(interleave(expand(g), il))),
      { numRuns: 2000, ...(seed !== undefined ? { seed } : {}) },
    );
  });
});
