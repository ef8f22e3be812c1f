// Runs the host cannot follow from some event on, known once the simulator has run them
// (src/host/diverge.ts): kernel-diff skips them with the reason, before any host run. And the
// random host stream with the PI kinds in it. No host kernel is needed here.
import { describe, expect, it } from "vitest";
import { diffProgram } from "../src/host/diff.js";
import { HOST_KINDS, randomHostProgram } from "../src/host/random.js";
import { runOnSim } from "../src/host/sim.js";
import { PID1_LOCK } from "../src/host/diverge.js";
import { parse } from "../src/program/text.js";

const prog = (text: string) => parse(`config cpus=2\n${text}`);
const NO_HOST = ""; // never run: the skip comes first

describe("kernel-diff: runs that part from the host", () => {
  it("skips a robust_unlock that FUTEX_ROBUST_UNLOCK refuses (a PI waiter on the word)", () => {
    const p = prog("t0 mmap m0 anon\nt0 spawn t1\nt1 robust_init m0+64\nt1 robust_lock m0+0\nt0 futex_lock_pi m0+0 shared\nt1 robust_unlock m0+0\n");
    const sim = runOnSim(p, []);
    expect(sim.verdict.syscalls.find((s) => s.event === "robust_unlock m0+0")?.ret).toBe(-22);
    const d = diffProgram(p, NO_HOST, 2);
    expect(d.status).toBe("skipped");
    if (d.status === "skipped") expect(d.reason).toMatch(/^t1 robust_unlock m0\+0 got -EINVAL from FUTEX_ROBUST_UNLOCK/);
  });

  it("skips a PI lock of a word that holds TID 1, however it got there", () => {
    // FUTEX_WAKE_OP's `set 1`: plan.ts only sees stores, the simulator's run sees the word
    const op = prog("t0 mmap m0 anon\nt0 futex_wake_op m0+0 m0+0 0 0 set 1 eq 0\nt0 futex_trylock_pi m0+0\n");
    expect(runOnSim(op, []).parts).toBe(PID1_LOCK);
    expect(diffProgram(op, NO_HOST, 2)).toEqual({ status: "skipped", reason: PID1_LOCK });
    // FUTEX_CMP_REQUEUE_PI looks up the owner of its second word for the waiter it requeues
    const rq = prog("t0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait_requeue_pi m0+0 0 m0+4\nt0 futex_wake_op m0+8 m0+4 0 0 set 1 eq 0\nt0 futex_cmp_requeue_pi m0+0 m0+4 1 0 0\n");
    expect(runOnSim(rq, []).parts).toBe(PID1_LOCK);
    // TID 1 with the robust bits set is still TID 1; TID 2 is no one on either side
    const bits = prog("t0 mmap m0 anon\nt0 futex_wake_op m0+0 m0+0 0 0 set 1 eq 0\nt0 futex_wake_op m0+0 m0+0 0 0 or 30 shl eq 0\nt0 futex_lock_pi m0+0\n");
    expect(runOnSim(bits, []).parts).toBe(PID1_LOCK);
    const two = prog("t0 mmap m0 anon\nt0 futex_wake_op m0+0 m0+0 0 0 set 2 eq 0\nt0 futex_lock_pi m0+0\n");
    expect(runOnSim(two, []).parts).toBeNull();
  });

  it("does not skip ordinary PI programs", () => {
    const p = prog("t0 mmap m0 anon\nt0 spawn t1\nt0 futex_lock_pi m0+0\nt1 futex_lock_pi m0+0\nt0 futex_unlock_pi m0+0\nt1 futex_unlock_pi m0+0\n");
    expect(runOnSim(p, []).parts).toBeNull();
  });
});

describe("random host programs with the PI kinds (and FUTEX_WAKE_OP)", () => {
  it("draws PI events, never FUTEX_ROBUST_UNLOCK, and unlocks by the locker", () => {
    const pi = ["futex_lock_pi", "futex_trylock_pi", "futex_unlock_pi", "futex_wait_requeue_pi", "futex_cmp_requeue_pi"];
    expect([...pi, "futex_wake_op"].every((k) => HOST_KINDS.some((h) => h.name === k))).toBe(true);
    const programs = Array.from({ length: 200 }, (_, i) => randomHostProgram(5, i, 2));
    const events = programs.flatMap((p) => p.events);
    expect(events.filter((e) => pi.includes(e.op)).length).toBeGreaterThan(100);
    expect(events.some((e) => e.op === "futex_unlock_pi" && e.args.robust)).toBe(false);
    expect(events.every((e) => e.op !== "futex_cmp_requeue_pi" || e.args.nr_wake === 1)).toBe(true);
    // most unlocks succeed: they go to the task that locked the word
    const results = programs.flatMap((p) => runOnSim(p, []).verdict.syscalls).filter((s) => s.event.startsWith("futex_unlock_pi "));
    expect(results.filter((s) => s.ret === 0).length).toBeGreaterThan(results.length / 4);
  });
});
