import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parse } from "../src/program/text.js";
import { execute } from "../src/exec/executor.js";
import { arbUsefulProgram } from "./arb.js";

const run = (text: string) => execute(parse(text), { trace: true });
const rets = (text: string) => run(text).syscalls.map((s) => `t${s.task} ${s.event} = ${s.ret}`);

describe("executor: wait/wake on the global hash", () => {
  it("a wait woken by a wake returns 0, the wake returns 1", () => {
    const v = run("t0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n");
    expect(v.findings).toEqual([]);
    expect(v.syscalls.slice(2)).toEqual([
      { task: 1, event: "futex_wait m0+0 0", ret: 0 },
      { task: 0, event: "futex_wake m0+0 1", ret: 1 },
    ]);
  });

  it("a wait whose value differs returns -EAGAIN", () => {
    expect(rets("t0 mmap m0 anon\nt0 store m0+0 7\nt0 futex_wait m0+0 0\n")).toContain("t0 futex_wait m0+0 0 = -11");
  });

  it("a waiter nobody wakes is ended by its task's exit at teardown, not reported", () => {
    const v = run("t0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\n");
    expect(v.findings).toEqual([]);
    expect(v.syscalls[2]).toEqual({ task: 1, event: "futex_wait m0+0 0", ret: null });
  });

  it("misaligned futex address is -EINVAL; a wake with no waiters returns 0", () => {
    expect(rets("t0 mmap m0 anon\nt0 futex_wait m0+2 0\nt0 futex_wake m0+0 5\n")).toEqual([
      "t0 mmap m0 anon = 268435456",
      "t0 futex_wait m0+2 0 = -22",
      "t0 futex_wake m0+0 5 = 0",
    ]);
  });

  it("private and shared keys differ; a file page is shared across fork", () => {
    const v = run(
      "t0 mmap m0 file f0\nt0 fork t1\nt1 futex_wait m0+0 0 shared\nt0 futex_wake m0+0 1\nt0 futex_wake m0+0 1 shared\n",
    );
    expect(v.syscalls.map((s) => s.ret)).toEqual([268435456, 1001, 0, 0, 1]);
  });

  it("nr_wake 0 still wakes one waiter, as the kernel does", () => {
    expect(rets("t0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 0\n")[3]).toBe("t0 futex_wake m0+0 0 = 1");
  });

  it("@k stops a syscall mid-way; a later event on the task completes it first", () => {
    const v = run("t0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0 @1\nt0 store m0+0 1\nt1 load m0+0\n");
    // t1 read the word only after t0's store: the wait sees 1 != 0
    expect(v.syscalls.map((s) => s.ret)).toEqual([268435456, 1001, -11, 0, 1]);
  });

  it("@0 starts a syscall without running it; step runs points", () => {
    const v = run("t0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0 @0\nstep t1 1\n");
    const points = v.trace.filter((e) => e.task === 1 && e.event === 3);
    expect(points.map((e) => e.label)).toEqual(["futex_hash: rcu_read_lock"]);
  });

  it("a caught signal cuts a futex wait short with -EINTR", () => {
    expect(rets("t0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nsignal t1 usr1\nt1 load m0+0\n")[2]).toBe(
      "t1 futex_wait m0+0 0 = -4",
    );
  });

  it("events naming missing tasks or regions are skipped, never errors", () => {
    const v = run("t5 load m0+0\nt0 load m3+0\nstep t9 3\nt0 spawn t0\n");
    expect(v.findings).toEqual([]);
    expect(v.stats.skipped).toBe(4);
    expect(v.syscalls).toEqual([]);
  });

  it("SIGKILL ends the whole thread group; a blocked waiter never returns", () => {
    const v = run("t0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nsignal t0 kill\nt1 load m0+0\nt0 load m0+0\n");
    expect(v.syscalls.map((s) => s.ret)).toEqual([268435456, 1001, null]);
    expect(v.stats.skipped).toBe(2);
  });

  it("the step budget is a harness limit, not an exception or a finding", () => {
    const v = execute(parse("t0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n"), { budget: 3 });
    expect(v.findings).toEqual([]);
    expect(v.stats.limit).toBe(true);
  });
});

describe("executor: syscalls and robust operations run as iterator objects", () => {
  it("@0 on a syscall with no preemption point (store) runs nothing until its task is stepped, then runs it once", () => {
    const v = run("t0 mmap m0 anon\nt0 spawn t1\nt0 store m0+0 5 @0\nt1 load m0+0\nstep t0 1\nt1 load m0+0\nstep t0 1\nt0 load m0+0\n");
    expect(v.findings).toEqual([]);
    // the first load runs before the store, the second after it; the second step finds t0 in user space
    expect(v.syscalls.map((s) => `t${s.task} ${s.event} = ${s.ret}`).slice(2)).toEqual([
      "t0 store m0+0 5 = 0",
      "t1 load m0+0 = 0",
      "t1 load m0+0 = 5",
      "t0 load m0+0 = 5",
    ]);
    expect(v.stats.skipped).toBe(1);
  });

  it("a robust unlock stopped mid-way is in flight for irq (run up to its instruction); once it ended, irq finds none", () => {
    const atIrq = (stop: string) =>
      run(`t0 mmap m0 anon\nt0 robust_init m0+0\nt0 robust_lock m0+16\nt0 robust_unlock m0+16${stop}\nirq t0 2 usr1\n`)
        .trace.filter((e) => e.event === 4)
        .map((e) => e.label);
    expect(atIrq(" @1")).toEqual(["user: robust_unlock 2: list remove"]);
    expect(atIrq("")).toEqual([]);
  });
});

describe("determinism", () => {
  it("two executions of the same program give identical verdicts and traces", () => {
    fc.assert(
      fc.property(arbUsefulProgram({ maxEvents: 30 }), (p) => {
        const a = execute(p, { trace: true });
        const b = execute(structuredClone(p), { trace: true });
        expect(b).toEqual(a);
      }),
      { numRuns: 500 },
    );
  });
});
