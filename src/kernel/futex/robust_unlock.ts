// The kernel side of the 2026 robust unlock (Linux v7.2): the contended path
// futex(FUTEX_WAKE | FUTEX_ROBUST_UNLOCK) (waitwake.c, 3ca9595d9fb6 in its newest order), the
// pending-op clear (core.c futex_robust_list_clear_pending) and the exit-to-user fixup for a task
// interrupted inside the vDSO try_unlock critical section (7010c39d8fc5).
//
// Seam: Kernel.seams.robustUnlockFixup is futex_fixup_robust_unlock (v7.2) or the historical
// futex_fixup_robust_unlock_pre_7010c39d (no fixup: a stale list_op_pending reaches do_exit).
import type { Kernel } from "../kernel.js";
import type { KGen } from "../sched.js";
import type { Task } from "../task.js";
import { unlock_cs_within } from "../vdso.js";
import { FUTEX_WAITERS } from "../../program/types.js";
import { EAGAIN, EFAULT, EINVAL } from "../errno.js";
import { futex_hash, futex_hash_put, get_futex_key } from "./core.js";
import { futex_hb_lock, futex_hb_unlock, futex_wake_mark, match_futex } from "./hb.js";
import { HEAD_LIST_OP_PENDING } from "./robust.js";

export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

/** The exit-to-user fixup seam (called with a signal pending, before signal delivery). */
export type RobustUnlockFixup = (k: Kernel, t: Task) => KGen;

/**
 * futex_robust_list_clear_pending(): store 0 to the (32-bit) pop. If that faults and pop is the
 * registered head's list_op_pending, the task's robust list is dropped ("better a few stale
 * futexes than corrupted memory"). Returns false on a fault.
 */
export function futex_robust_list_clear_pending(_k: Kernel, t: Task, pop: number): boolean {
  if (t.mm && (pop & 3) === 0 && t.mm.as.write(pop, 0)) return true;
  if (t.robust && pop === ((t.robust.head + HEAD_LIST_OP_PENDING) >>> 0)) t.robust = null;
  return false;
}

/**
 * futex_fixup_robust_unlock() (v7.2, 7010c39d): the task was interrupted in user mode with its IP
 * inside the mm's try_unlock critical section; if ZF says the cmpxchg succeeded, clear the pop
 * (regs->dx) now, before a fatal signal reaches do_exit or a handler frame replaces the IP.
 */
export function* futex_fixup_robust_unlock(k: Kernel, t: Task): KGen {
  t.frames.push("futex_fixup_robust_unlock");
  try {
    yield "futex_fixup_robust_unlock: rseq user_irq && within(regs->ip, cs_range)";
    if (!t.userIrq || !t.mm || !unlock_cs_within(t.mm, t.regs.ip)) return;
    // arch_futex_robust_unlock_get_pop(): x86 ZF ? regs->dx : NULL
    const pop = t.regs.zf ? t.regs.dx : 0;
    if (pop) futex_robust_list_clear_pending(k, t, pop);
  } finally {
    t.frames.pop();
  }
}

/**
 * Before 7010c39d: nothing clears list_op_pending when the unlock is interrupted. (The point
 * keeps the schedule of a program identical under both seams.)
 */
export function* futex_fixup_robust_unlock_pre_7010c39d(_k: Kernel, _t: Task): KGen {
  yield "exit_to_user_mode_loop: no robust unlock fixup";
}

/**
 * futex(uaddr, FUTEX_WAKE | FUTEX_ROBUST_UNLOCK, nr_wake, NULL, pop, bitset): unlock the word in
 * the kernel (0, or FUTEX_WAITERS when waiters remain), mark up to nr_wake waiters, clear the pop,
 * wake. Returns the number woken or an errno.
 */
export function* futex_robust_unlock(
  k: Kernel,
  t: Task,
  uaddr: number,
  shared: boolean,
  pop: number,
  nr_wake: number,
  bitset = FUTEX_BITSET_MATCH_ANY,
): KGen<number> {
  t.frames.push("futex_robust_unlock");
  try {
    if (nr_wake === 0) nr_wake = 1;
    for (;;) {
      const r = yield* __futex_robust_unlock(k, t, uaddr, shared, pop, nr_wake, bitset);
      if (r !== EAGAIN) return r;
    }
  } finally {
    t.frames.pop();
  }
}

function* __futex_robust_unlock(
  k: Kernel,
  t: Task,
  uaddr: number,
  shared: boolean,
  pop: number,
  nr_wake: number,
  bitset: number,
): KGen<number> {
  t.frames.push("__futex_robust_unlock");
  try {
    const key = get_futex_key(t, uaddr, shared);
    if (typeof key === "number") return key;
    const ref = yield* futex_hash(k, t, key);
    const hb = ref.hb;
    // no lockless waiters check: the store below must happen under the bucket lock
    yield* futex_hb_lock(k, t, hb);
    // count the waiters on this key; the ones beyond nr_wake keep FUTEX_WAITERS set
    // a PI waiter on the key: this is no robust non-PI futex
    if (hb.chain.some((q) => match_futex(q.key, key) && (q.pi_state || q.rt_waiter))) {
      futex_hb_unlock(k, t, hb);
      yield* futex_hash_put(k, t, ref);
      return EINVAL;
    }
    const wakees = hb.chain.filter((q) => match_futex(q.key, key) && (q.bitset & bitset) !== 0);
    const waiters = hb.chain.filter((q) => match_futex(q.key, key)).length;
    const woken = Math.min(wakees.length, nr_wake);
    yield "__futex_robust_unlock: store-release *uaddr (pagefaults disabled)";
    const val = waiters > woken ? FUTEX_WAITERS : 0;
    if (!t.mm || !t.mm.as.write(uaddr, val)) {
      futex_hb_unlock(k, t, hb);
      yield* futex_hash_put(k, t, ref);
      // fault_in_user_writeable() fails for an unmapped address: no -EAGAIN retry
      return EFAULT;
    }
    k.hooks.kernelRobustWrite(t.mm.as, uaddr);
    // mark after the store: a marked waiter may return, die and walk its list at once
    for (const q of wakees.slice(0, woken)) futex_wake_mark(k, t, q);
    futex_hb_unlock(k, t, hb);
    yield* futex_hash_put(k, t, ref);
    yield "__futex_robust_unlock: futex_robust_list_clear_pending";
    if (!futex_robust_list_clear_pending(k, t, pop)) return EFAULT;
    yield "__futex_robust_unlock: wake_up_q";
    return woken;
  } finally {
    t.frames.pop();
  }
}
