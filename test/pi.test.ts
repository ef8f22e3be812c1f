// PI futexes and requeue-PI: the errno tables (kernel/futex/pi.c, requeue.c), the PI sanitizer
// fed broken states directly, the two switches against the fixed kernel, and determinism.
import { describe, expect, it } from "vitest";
import { execute } from "../src/exec/executor.js";
import { parse } from "../src/program/text.js";
import { parseBugs } from "../src/bugs/switches.js";
import { Kernel } from "../src/kernel/kernel.js";
import { run_atomic } from "../src/kernel/sched.js";
import { mm_alloc } from "../src/kernel/mm.js";
import { Page, regionAddress } from "../src/kernel/memory.js";
import { FutexPiState } from "../src/kernel/futex/pi_state.js";
import { RtMutexWaiter, __rt_mutex_start_proxy_lock, rt_mutex_cleanup_proxy_lock, try_to_take_rt_mutex } from "../src/kernel/rtmutex.js";
import { Panic, type Finding } from "../src/sanitizers/report.js";
import { Sanitizers } from "../src/sanitizers/sanitizers.js";
import { FUTEX_OWNER_DIED, FUTEX_WAITERS } from "../src/program/types.js";
import { FutexQ, __futex_queue, type FutexKey } from "../src/kernel/futex/hb.js";
import { futex_hash_peek } from "../src/kernel/futex/core.js";
import type { Task } from "../src/kernel/task.js";

const rets = (text: string, bugs = ""): (number | null)[] => {
  const v = execute(parse(text), { bugs: parseBugs(bugs) });
  expect(v.findings).toEqual([]);
  return v.syscalls.map((s) => s.ret);
};

const PRE = "config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt0 spawn t2\n";

describe("FUTEX_LOCK_PI / TRYLOCK_PI / UNLOCK_PI errnos (pi.c)", () => {
  it("self-lock is -EDEADLK, unlock by a non-owner -EPERM, a misaligned word -EINVAL", () => {
    const r = rets(PRE + "t0 futex_lock_pi m0+0\nt0 futex_lock_pi m0+0\nt1 futex_unlock_pi m0+0\nt1 futex_lock_pi m0+2\nt1 futex_trylock_pi m0+0\nt0 futex_unlock_pi m0+0\n");
    expect(r.slice(3)).toEqual([0, -35, -1, -22, -11, 0]);
  });
  it("a word naming no task is -ESRCH; OWNER_DIED with TID 0 is taken (the bit kept)", () => {
    const r = rets(PRE + `t0 store m0+0 7\nt0 futex_lock_pi m0+0\nt0 store m0+4 ${FUTEX_OWNER_DIED}\nt0 futex_lock_pi m0+4\nt0 load m0+4\n`);
    expect(r.slice(3)).toEqual([0, -3, 0, 0, (FUTEX_OWNER_DIED | 1000) >>> 0]);
  });
  it("a private PI futex owned by a task of another process is -EPERM; through a shared key it attaches", () => {
    const r = rets("config cpus=1\nt0 mmap m0 file f0\nt0 fork t1\nt0 futex_trylock_pi m0+0\nt1 futex_trylock_pi m0+0\nt1 futex_trylock_pi m0+0 shared\n");
    expect(r.slice(2)).toEqual([0, -1, -11]);
  });
  it("a non-PI waiter on the word: FUTEX_LOCK_PI and FUTEX_UNLOCK_PI see inconsistent state (-EINVAL)", () => {
    const r = rets(PRE + "t1 futex_wait m0+0 0\nt0 futex_lock_pi m0+0\nt0 store m0+0 tid:t0\nt0 futex_unlock_pi m0+0\nt0 futex_wake m0+0 1\n");
    expect(r.slice(3)).toEqual([0, -22, 0, -22, 1]);
  });
  it("a PI waiter is not for FUTEX_WAKE, FUTEX_REQUEUE or FUTEX_ROBUST_UNLOCK (-EINVAL)", () => {
    const r = rets(PRE + "t0 futex_lock_pi m0+0\nt1 futex_lock_pi m0+0\nt2 futex_wake m0+0 1\nt2 futex_requeue m0+0 m0+4 0 1\nt0 futex_unlock_pi m0+0\n");
    expect(r.slice(3)).toEqual([0, 0, -22, -22, 0]);
  });
  it("unlock hands over to the top waiter (TID | WAITERS); unlock with no waiter stores 0; -EAGAIN when the word moved", () => {
    const r = rets(PRE + `t0 futex_lock_pi m0+0\nt1 futex_lock_pi m0+0\nt0 futex_unlock_pi m0+0\nt1 load m0+0\nt1 futex_unlock_pi m0+0\nt1 load m0+0\n`);
    expect(r.slice(3)).toEqual([0, 0, 0, (FUTEX_WAITERS | 1001) >>> 0, 0, 0]);
  });
  it("FUTEX_ROBUST_UNLOCK: the pop is cleared only after a successful unlock; -EFAULT when it faults", () => {
    const r = rets(
      PRE + "t0 mmap m1 anon\nt0 robust_init m1+0\nt0 futex_lock_pi m0+16\nt0 store m1+8 0x10000015\nt1 futex_unlock_pi m0+16 robust\nt0 load m1+8\nt0 futex_unlock_pi m0+16 robust\nt0 load m1+8\nt0 futex_lock_pi m0+16\nt0 munmap m1\nt0 futex_unlock_pi m0+16 robust\nt0 load m0+16\n",
    );
    expect(r.slice(4)).toEqual([0, 0, 0, -1, 0x10000015, 0, 0, 0, 0, -14, 0]);
  });
  it("an owner that exits hands the lock on: the waiter's fixup marks OWNER_DIED", () => {
    const r = rets(PRE + "t1 futex_lock_pi m0+0\nt0 futex_lock_pi m0+0\nt1 exit\nt0 load m0+0\n");
    expect(r.slice(3)).toEqual([0, 0, null, (FUTEX_WAITERS | FUTEX_OWNER_DIED | 1000) >>> 0]);
  });
});

describe("FUTEX_WAIT_REQUEUE_PI / FUTEX_CMP_REQUEUE_PI errnos (requeue.c)", () => {
  it("uaddr == uaddr2 and nr_wake != 1 are -EINVAL, a changed word -EAGAIN", () => {
    const r = rets(PRE + "t1 futex_wait_requeue_pi m0+0 0 m0+0\nt1 futex_wait_requeue_pi m0+0 1 m0+4\nt0 futex_cmp_requeue_pi m0+0 m0+4 2 0 0\nt0 futex_cmp_requeue_pi m0+0 m0+0 1 0 0\nt0 futex_cmp_requeue_pi m0+0 m0+4 1 0 5\n");
    expect(r.slice(3)).toEqual([-22, -11, -22, -22, -11]);
  });
  it("the top waiter gets the free PI futex; the others queue on its rt_mutex and get it in turn", () => {
    const r = rets(
      PRE + "t0 spawn t3\nt1 futex_wait_requeue_pi m0+0 0 m0+4\nt2 futex_wait_requeue_pi m0+0 0 m0+4\nt3 futex_wait_requeue_pi m0+0 0 m0+4\nt0 futex_cmp_requeue_pi m0+0 m0+4 1 5 0\nt1 futex_unlock_pi m0+4\nt2 futex_unlock_pi m0+4\nt3 futex_unlock_pi m0+4\nt0 load m0+4\n",
    );
    expect(r.slice(4)).toEqual([0, 0, 0, 3, 0, 0, 0, 0]);
  });
  it("a requeue to a PI futex the waiter itself owns is -EDEADLK", () => {
    const r = rets(PRE + "t1 futex_lock_pi m0+4\nt1 futex_wait_requeue_pi m0+0 0 m0+4 @0\nrun t1\nt0 futex_cmp_requeue_pi m0+0 m0+4 1 0 0\n");
    // the waiter is left where it is (futex_requeue_pi_complete rewinds it to NONE)
    expect(r.slice(4)).toEqual([null, -35]);
  });
});

function finding(f: () => unknown): Finding {
  try {
    f();
  } catch (e) {
    if (e instanceof Panic) return e.finding;
    throw e;
  }
  throw new Error("no finding reported");
}

function world() {
  const k = new Kernel(2, { hooks: (k, observe) => new Sanitizers(k, observe) });
  const mm = run_atomic(mm_alloc(k, k.softirq))!;
  const t0 = k.newTask(0, null, mm, 0);
  const t1 = k.newTask(1, t0.group, mm, 1);
  mm.as.regions.set(0, { file: null, page: new Page(null) });
  const ps = k.heap.alloc(new FutexPiState(), t0)!;
  return { k, mm, t0, t1, ps, uaddr: regionAddress(0) };
}

/** t waits on the PI futex at uaddr: its futex_q, naming ps, queued where futex_hash() looks. */
function queueOn(k: Kernel, t: Task, ps: FutexPiState, uaddr: number): void {
  const key: FutexKey = { type: "private", mm: t.mm!, addr: uaddr };
  ps.key = key;
  const q = new FutexQ(t, key);
  q.pi_state = ps;
  __futex_queue(q, futex_hash_peek(k, key));
}

describe("the PI sanitizer", () => {
  it("pi_state refcount underflow is a refcount finding", () => {
    const { k, t0, ps } = world();
    ps.refcount = -1;
    expect(finding(() => k.hooks.piStatePut(ps, t0))).toMatchObject({ kind: "refcount", title: "refcount_t: underflow; use-after-free in put_pi_state" });
  });
  it("a word the kernel wrote naming another owner than pi_state->owner is reported; a user store since is not", () => {
    const { k, mm, t0, t1, ps, uaddr } = world();
    ps.owner = t0;
    queueOn(k, t1, ps, uaddr);
    mm.as.write(uaddr, (FUTEX_WAITERS | t1.tid) >>> 0);
    k.hooks.piWordWrite(mm.as, uaddr, mm.as.read(uaddr)!, { type: "private", mm, addr: uaddr });
    expect(finding(() => k.hooks.piSettled(ps, mm.as, uaddr, t0))).toMatchObject({ kind: "warn" });
    k.hooks.userStore(mm.as, uaddr, t1.tid);
    expect(() => k.hooks.piSettled(ps, mm.as, uaddr, t0)).not.toThrow();
  });
  it("a pi_state's word whose page was remapped, and then mapped back, is the program's: the kernel wrote the old page's word before the move", () => {
    // the waiters' private key stays across remaps: the handover writes t1's TID into the word
    // on f1; mapping f0 back shows the value the kernel wrote there before (found by the
    // generative engine's remap mutation on the fixed kernel)
    const text = `config cpus=2
t0 spawn t1
t0 mmap m0 file f0
t0 store m0+256 tid:t0
t0 spawn t2
t0 mmap m1 file f1
t0 store m1+256 tid:t0
t2 mmap m2 file f0
t1 futex_lock_pi m2+256
t2 mmap m2 file f1
t2 futex_lock_pi m2+256
t0 futex_unlock_pi m2+256
t1 mmap m2 file f0
`;
    expect(execute(parse(text)).findings).toEqual([]);
  });
  it("a consistent word (the owner's TID, or TID 0 with OWNER_DIED) is not reported, nor a pi_state no waiter names", () => {
    const { k, mm, t0, t1, ps, uaddr } = world();
    ps.owner = t0;
    ps.key = { type: "private", mm, addr: uaddr };
    mm.as.write(uaddr, t1.tid);
    k.hooks.piWordWrite(mm.as, uaddr, mm.as.read(uaddr)!, { type: "private", mm, addr: uaddr });
    expect(() => k.hooks.piSettled(ps, mm.as, uaddr, t0)).not.toThrow();
    queueOn(k, t1, ps, uaddr);
    for (const v of [(FUTEX_WAITERS | t0.tid) >>> 0, (FUTEX_WAITERS | FUTEX_OWNER_DIED) >>> 0]) {
      mm.as.write(uaddr, v);
      k.hooks.piWordWrite(mm.as, uaddr, mm.as.read(uaddr)!, { type: "private", mm, addr: uaddr });
      expect(() => k.hooks.piSettled(ps, mm.as, uaddr, t0)).not.toThrow();
    }
  });
  it("an rt_mutex waiter list with the owner on it, or a task twice, is reported", () => {
    const { k, t0, t1, ps } = world();
    ps.pi_mutex.owner = t0;
    expect(__rt_mutex_start_proxy_lock(ps.pi_mutex, new RtMutexWaiter(t1), t1)).toBe(0);
    expect(() => k.hooks.piWaiters(ps, t0)).not.toThrow();
    const w = new RtMutexWaiter(t1);
    w.lock = ps.pi_mutex;
    ps.pi_mutex.waiters.push(w);
    expect(finding(() => k.hooks.piWaiters(ps, t0)).title).toContain("t1 is enqueued twice");
    ps.pi_mutex.waiters.length = 0;
    const o = new RtMutexWaiter(t0);
    o.lock = ps.pi_mutex;
    ps.pi_mutex.waiters.push(o);
    expect(finding(() => k.hooks.piWaiters(ps, t0)).title).toContain("waits on its own lock");
  });
});

describe("the rt_mutex", () => {
  it("a free lock goes to its top waiter, not to a trylock of equal priority; cleanup after a failed wait", () => {
    const { t0, t1, ps } = world();
    const m = ps.pi_mutex;
    m.owner = t0;
    const w = new RtMutexWaiter(t1);
    __rt_mutex_start_proxy_lock(m, w, t1);
    m.owner = null;
    expect(try_to_take_rt_mutex(m, t0, null)).toBe(false);
    expect(run_atomic(rt_mutex_cleanup_proxy_lock(t1, m, w))).toBe(false);
    expect(m.owner).toBe(t1);
    expect(m.waiters).toEqual([]);
  });
});

describe("PI switches", () => {
  const uaf = `config cpus=2
t0 mmap m0 anon
t0 spawn t1
t1 futex_wait_requeue_pi m0+0 0 m0+4
t0 futex_cmp_requeue_pi m0+0 m0+4 1 0 0 @22
signal t1 usr1
run t1
`;
  it("requeue-pi-wake-uaf: the requeuer touches the returned waiter's futex_q; the fixed kernel does not", () => {
    expect(execute(parse(uaf), { bugs: parseBugs("requeue-pi-wake-uaf") }).findings[0]).toMatchObject({ kind: "use-after-free", title: "KASAN: slab-use-after-free in requeue_pi_wake_futex" });
    expect(execute(parse(uaf)).findings).toEqual([]);
  });
  const stale = `config cpus=2
t0 mmap m0 anon
t0 spawn t1
t0 spawn t3
t1 store m0+0 tid:t1
t1 exit @3
t0 futex_lock_pi m0+0
run t1
step t0 13
t3 store m0+0 5
`;
  it("lock-pi-stale-exiting: the -EAGAIN retry warns in wait_for_owner_exiting; the fixed kernel returns -ESRCH", () => {
    expect(execute(parse(stale), { bugs: parseBugs("lock-pi-stale-exiting") }).findings[0]).toMatchObject({ kind: "warn", title: "WARNING in wait_for_owner_exiting: WARN_ON_ONCE(exiting)" });
    const v = execute(parse(stale));
    expect(v.findings).toEqual([]);
    expect(v.syscalls.find((s) => s.event === "futex_lock_pi m0+0")?.ret).toBe(-3);
  });
  it("runs are deterministic: same program, same trace", () => {
    const p = parse(uaf.replace(" @22", ""));
    const a = execute(p, { trace: true });
    const b = execute(p, { trace: true });
    expect(a.trace).toEqual(b.trace);
    expect(a.trace.length).toBeGreaterThan(20);
  });
});
