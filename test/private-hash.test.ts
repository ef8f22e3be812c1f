// The per-process private futex hash (Linux v7.2): concrete return values that match the real
// kernel, resize / requeue behaviour, mm lifecycle interplay, and futex-ref arithmetic.
import { describe, expect, it } from "vitest";
import { execute, type Verdict } from "../src/exec/executor.js";
import { parse } from "../src/program/text.js";
import { Kernel } from "../src/kernel/kernel.js";
import { mm_alloc, type Mm } from "../src/kernel/mm.js";
import { run_atomic } from "../src/kernel/sched.js";
import { FR_ATOMIC, FutexPrivateHash } from "../src/kernel/futex/private.js";
import { LONG_MAX, futex_ref_get, futex_ref_is_dead, futex_ref_put, futex_ref_rcu } from "../src/kernel/futex/ref.js";
import { alloc_percpu, percpu_sum } from "../src/kernel/percpu.js";
import type { Task } from "../src/kernel/task.js";

function run(text: string): Verdict {
  return execute(parse(text));
}

/** `tN event = ret` for every syscall, in program order. */
function rets(v: Verdict): string[] {
  return v.syscalls.map((s) => `t${s.task} ${s.event} = ${s.ret}`);
}

function clean(v: Verdict): void {
  expect(v.findings).toEqual([]);
  expect(v.stats.limit).toBe(false);
}

describe("PR_FUTEX_HASH and auto-scaling", () => {
  it("GET_SLOTS is 0 single-threaded and 16 after the first thread on 2 CPUs", () => {
    const v = run(`config cpus=2
t0 hash_get_slots
t0 spawn t1
t0 hash_get_slots
t1 hash_get_slots
`);
    clean(v);
    expect(rets(v)).toEqual(["t0 hash_get_slots = 0", "t0 spawn t1 = 1001", "t0 hash_get_slots = 16", "t1 hash_get_slots = 16"]);
  });

  it("SET_SLOTS rejects 1 and non-powers of two (-EINVAL), huge sizes fail in kvzalloc (-ENOMEM)", () => {
    const v = run(`t0 hash_set_slots 3
t0 hash_set_slots 1
t0 hash_set_slots 15
t0 hash_set_slots 0x20000000
t0 hash_get_slots
`);
    clean(v);
    expect(v.syscalls.map((s) => s.ret)).toEqual([-22, -22, -22, -12, 0]);
  });

  it("the global hash is forever: SET 0 then SET 32 is -EBUSY", () => {
    const v = run(`t0 hash_set_slots 0
t0 hash_set_slots 32
t0 spawn t1
t0 hash_get_slots
t0 hash_set_slots 0
`);
    clean(v);
    expect(v.syscalls.map((s) => s.ret)).toEqual([0, -16, 1001, 0, -16]);
  });

  it("SET_SLOTS on a single-threaded process installs at once; a custom hash disables auto-scaling", () => {
    const v = run(`config cpus=8
t0 hash_set_slots 4
t0 hash_get_slots
t0 spawn t1
t0 spawn t2
t0 spawn t3
t0 spawn t4
t0 spawn t5
t0 hash_get_slots
`);
    clean(v);
    expect(v.syscalls.map((s) => s.ret)).toEqual([0, 4, 1001, 1002, 1003, 1004, 1005, 4]);
  });

  it("auto-scaling grows to 32 with 5 threads on 8 CPUs, once the old hash died and a futex op pivots", () => {
    const v = run(`config cpus=8
t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t0 spawn t3
t0 spawn t4
t0 spawn t5
t0 hash_get_slots
gp
gp
t0 hash_get_slots
t0 futex_wake m0+0 1
t0 hash_get_slots
`);
    clean(v);
    // the replacement waits in hash_new: GET_SLOTS reads the published hash and never pivots
    expect(v.syscalls.filter((s) => s.event === "hash_get_slots").map((s) => s.ret)).toEqual([16, 16, 32]);
  });

  it("auto-scaling never goes past 16 with 2 CPUs", () => {
    const v = run(`config cpus=2
t0 spawn t1
t0 spawn t2
t0 spawn t3
t0 spawn t4
t0 spawn t5
gp
gp
t0 hash_get_slots
`);
    clean(v);
    expect(v.syscalls.at(-1)!.ret).toBe(16);
  });

  it("SET_SLOTS blocks until its hash is in effect; a lesser concurrent request returns 0 and loses", () => {
    const v = run(`config cpus=2
t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t1 hash_set_slots 8
t2 hash_set_slots 4
t0 hash_get_slots
gp
gp
run t1
run t2
t0 hash_get_slots
`);
    clean(v);
    expect(rets(v)).toEqual([
      "t0 mmap m0 anon = 268435456",
      "t0 spawn t1 = 1001",
      "t0 spawn t2 = 1002",
      "t1 hash_set_slots 8 = 0",
      "t2 hash_set_slots 4 = 0",
      "t0 hash_get_slots = 16",
      "t0 hash_get_slots = 8",
    ]);
  });

  it("two threads requesting the global hash: one switches, the other gets -EBUSY (69a14d146f3b)", () => {
    const v = run(`config cpus=2
t0 spawn t1
t0 spawn t2
t1 hash_set_slots 0 @2
t2 hash_set_slots 0
gp
gp
run t2
run t1
t0 hash_get_slots
`);
    clean(v);
    expect(v.syscalls.slice(2).map((s) => s.ret)).toEqual([-16, 0, 0]);
  });

  it("a failing allocation makes clone fail with -ENOMEM and leaves no hash", () => {
    const v = run(`t0 mmap m0 anon
fail_alloc 2
t0 spawn t1
t0 hash_get_slots
t0 spawn t1
t0 hash_get_slots
`);
    clean(v);
    // 1st allocation: the per-CPU ref (kept); 2nd: kvzalloc of the hash fails
    expect(v.syscalls.map((s) => s.ret)).toEqual([268435456, -12, 0, 1001, 16]);
  });
});

describe("waiters across a resize", () => {
  it("a waiter queued before a resize is woken by a wake after it (rehash rewrites lock_ptr)", () => {
    const v = run(`config cpus=2
t0 mmap m0 anon
t0 spawn t1
t1 futex_wait m0+0 0
t0 hash_set_slots 64
t0 hash_get_slots
t0 futex_wake m0+0 1
`);
    clean(v);
    expect(rets(v).slice(2)).toEqual(["t1 futex_wait m0+0 0 = 0", "t0 hash_set_slots 64 = 0", "t0 hash_get_slots = 64", "t0 futex_wake m0+0 1 = 1"]);
  });

  it("a waiter moved to the global hash (SET 0) is still found", () => {
    const v = run(`t0 mmap m0 anon
t0 spawn t1
t1 futex_wait m0+8 0
t0 hash_set_slots 0
t0 futex_wake m0+8 1
`);
    clean(v);
    expect(v.syscalls.map((s) => s.ret)).toEqual([268435456, 1001, 0, 0, 1]);
  });

  it("a waiter stopped inside futex_hash during the switch retries on the new hash", () => {
    const v = run(`config cpus=2
t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t2 hash_set_slots 32
gp
gp
t1 futex_wait m0+0 0 @3
run t2
t2 hash_set_slots 64
run t1
t0 futex_wake m0+0 1
`);
    clean(v);
    expect(rets(v).slice(3)).toEqual(["t2 hash_set_slots 32 = 0", "t1 futex_wait m0+0 0 = 0", "t2 hash_set_slots 64 = 0", "t0 futex_wake m0+0 1 = 1"]);
  });

  it("a signal interrupts a waiter that was rehashed (unqueue follows lock_ptr)", () => {
    const v = run(`t0 mmap m0 anon
t0 spawn t1
t1 futex_wait m0+0 0
t0 hash_set_slots 2
gp
gp
run t0
signal t1 usr1
run t1
t1 hash_get_slots
`);
    clean(v);
    expect(rets(v).slice(2)).toEqual(["t1 futex_wait m0+0 0 = -4", "t0 hash_set_slots 2 = 0", "t1 hash_get_slots = 2"]);
  });

  it("a put on another CPU than its get folds correctly (only the per-CPU sum counts)", () => {
    const v = run(`config cpus=2
t0 mmap m0 anon
t0 spawn t1
cpu t1 0
t1 futex_wake m0+0 1 @6
cpu t1 1
run t1
t0 hash_set_slots 8
t0 futex_wake m0+0 1
`);
    clean(v);
    expect(v.syscalls.slice(2).map((s) => s.ret)).toEqual([0, 0, 0]);
  });
});

describe("mm lifecycle", () => {
  it("fork during a pending resize: the child starts without a hash, both sides clean", () => {
    const v = run(`config cpus=2
t0 mmap m0 anon
t0 spawn t1
t0 hash_set_slots 32
t1 fork t2
t2 hash_get_slots
t2 spawn t3
t2 hash_get_slots
t1 hash_get_slots
gp
gp
run t0
t1 hash_get_slots
`);
    clean(v);
    expect(rets(v).slice(2)).toEqual([
      "t0 hash_set_slots 32 = 0",
      "t1 fork t2 = 1002",
      "t2 hash_get_slots = 0",
      "t2 spawn t3 = 1003",
      "t2 hash_get_slots = 16",
      "t1 hash_get_slots = 16",
      "t1 hash_get_slots = 32",
    ]);
  });

  it("exec fail drops the new mm with mmdrop only; nothing leaks", () => {
    const v = run(`t0 mmap m0 anon
t0 spawn t1
t0 exec fail
t0 hash_get_slots
`);
    clean(v);
    expect(v.syscalls.map((s) => s.ret)).toEqual([268435456, 1001, -12, 16]);
  });

  it("exec during a resize: the new mm has no hash; the old one is torn down after the transition", () => {
    const v = run(`config cpus=2
t0 mmap m0 anon
t0 spawn t1
t1 hash_set_slots 64 @12
t0 exec
t0 hash_get_slots
t0 spawn t2
t0 hash_get_slots
`);
    clean(v);
    expect(v.syscalls.slice(3).map((s) => s.ret)).toEqual([0, 0, 1002, 16]);
  });

  it("exit of the whole process in the middle of a transition (mmget keeps the mm until mmput_async)", () => {
    const v = run(`config cpus=8
t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t0 spawn t3
t0 spawn t4
t0 spawn t5
signal t0 kill
run t0
run t1
run t2
run t3
run t4
run t5
gp
gp
`);
    clean(v);
  });

  it("thread exit while another thread waits in SET_SLOTS", () => {
    const v = run(`t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t1 hash_set_slots 32
t2 exit
t0 exit
gp
gp
t1 hash_get_slots
`);
    clean(v);
    expect(v.syscalls.at(-1)).toMatchObject({ task: 1, event: "hash_get_slots", ret: 32 });
  });
});

describe("FUTEX_REQUEUE / FUTEX_CMP_REQUEUE", () => {
  const three = `config cpus=2
t0 mmap m0 anon
t0 spawn t1
t0 spawn t2
t0 spawn t3
t1 futex_wait m0+0 0
t2 futex_wait m0+0 0
t3 futex_wait m0+0 0
`;

  it("wake 1, requeue 1 of 3 waiters returns 2; the requeued waiter is woken on uaddr2", () => {
    const v = run(three + `t0 futex_requeue m0+0 m0+4 1 1
t0 futex_wake m0+4 5
t0 futex_wake m0+0 5
`);
    clean(v);
    expect(rets(v).slice(-3)).toEqual(["t0 futex_requeue m0+0 m0+4 1 1 = 2", "t0 futex_wake m0+4 5 = 1", "t0 futex_wake m0+0 5 = 1"]);
  });

  it("cmp_requeue: -EAGAIN when the word differs, else woken + requeued", () => {
    const v = run(three + `t0 futex_cmp_requeue m0+0 m0+4 1 5 7
t0 futex_cmp_requeue m0+0 m0+4 0 5 0
t0 futex_wake m0+4 5
`);
    clean(v);
    expect(v.syscalls.slice(-3).map((s) => s.ret)).toEqual([-11, 3, 3]);
  });

  it("requeue with uaddr1 == uaddr2 is allowed (only requeue-PI rejects it)", () => {
    const v = run(three + `t0 futex_requeue m0+0 m0+0 1 1
t0 futex_wake m0+0 5
`);
    clean(v);
    expect(v.syscalls.slice(-2).map((s) => s.ret)).toEqual([2, 2]);
  });

  it("requeued waiters follow a later resize", () => {
    const v = run(three + `t0 futex_requeue m0+0 m0+4 0 3
t0 hash_set_slots 128
t0 futex_wake m0+4 3
`);
    clean(v);
    expect(v.syscalls.slice(-3).map((s) => s.ret)).toEqual([3, 0, 3]);
  });

  it("shared requeue on a file page wakes across processes", () => {
    const v = run(`t0 mmap m1 file f0
t0 fork t1
t1 futex_wait m1+0 0 shared
t0 futex_cmp_requeue m1+0 m1+4 0 1 0 shared
t0 futex_wake m1+4 1 shared
`);
    clean(v);
    expect(v.syscalls.slice(2).map((s) => s.ret)).toEqual([0, 1, 1]);
  });
});

describe("futex-ref arithmetic", () => {
  function setup(cpus = 2): { k: Kernel; mm: Mm; t: Task; fph: FutexPrivateHash } {
    const k = new Kernel(cpus);
    const mm = run_atomic(mm_alloc(k, k.softirq))!;
    const t = k.newTask(0, null, mm, 0);
    mm.futex.ref = alloc_percpu(k, t)!;
    mm.futex.ref.vals[0] = 1; // the initial reference
    const fph = k.heap.alloc(new FutexPrivateHash(16, 15, mm, false), t)!;
    mm.futex.hash = fph;
    return { k, mm, t, fph };
  }

  it("per-CPU counters wrap as u32; only the sum matters", () => {
    const { k, mm, t, fph } = setup();
    run_atomic(futex_ref_get(k, t, fph));
    t.cpu = 1;
    run_atomic(futex_ref_put(k, t, fph));
    expect([...mm.futex.ref!.vals]).toEqual([2, 0xffffffff]);
    expect(percpu_sum(mm.futex.ref!)).toBe(1);
  });

  it("the fold: LONG_MAX bias + per-CPU sum - LONG_MAX - 1 = references still held", () => {
    const { k, mm, t, fph } = setup();
    run_atomic(futex_ref_get(k, t, fph)); // held across the whole switch
    fph.frState = FR_ATOMIC;
    mm.futex.atomic = LONG_MAX;
    run_atomic(futex_ref_get(k, t, fph)); // an atomic-phase get wraps the biased atomic
    expect(mm.futex.atomic).toBe(-(1n << 63n));
    run_atomic(futex_ref_put(k, t, fph));
    mm.users++; // the transition's mmget
    run_atomic(futex_ref_rcu(k, k.softirq, mm)); // FR_ATOMIC: __futex_ref_atomic_end
    expect(mm.futex.atomic).toBe(1n);
    expect([...mm.futex.ref!.vals]).toEqual([1, 0]); // re-armed for the next hash
    expect(run_atomic(futex_ref_is_dead(k, t, fph))).toBe(false);
    expect(run_atomic(futex_ref_put(k, t, fph))).toBe(true);
    expect(run_atomic(futex_ref_is_dead(k, t, fph))).toBe(true);
    expect(run_atomic(futex_ref_get(k, t, fph))).toBe(false); // inc_not_zero on a dead hash
  });
});
