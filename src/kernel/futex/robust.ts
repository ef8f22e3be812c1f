// kernel/futex/core.c + syscalls.c, robust futexes (Linux v7.2): set_robust_list /
// get_robust_list, and the exit/exec-time walk (exit_robust_list, handle_futex_death).
//
// Head layout. User pointers are u32 here (regions live below 4 GiB), so the simulator uses the
// 32-bit (compat) robust_list_head, 12 bytes:
//   +0 list.next        (u32 pointer: first node, or the head itself when empty)
//   +4 futex_offset     (s32: mutex word = node + futex_offset)
//   +8 list_op_pending  (u32 pointer: the node being locked/unlocked, or 0)
// Bit 0 of a node pointer flags a PI futex (FUTEX_ROBUST_MOD_PI): the walk marks its word
// OWNER_DIED without a wake; exit_pi_state_list (pi_state.ts) hands its rt_mutex to the waiters.
import type { Kernel } from "../kernel.js";
import { OBS } from "../hooks.js";
import { mutex_sleep, mutex_unlock, type KGen } from "../sched.js";
import { tidOf, type Task } from "../task.js";
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS } from "../../program/types.js";
import { EINVAL, ESRCH } from "../errno.js";
import { get_futex_key } from "./core.js";
import { futex_wake } from "./waitwake.js";
import { exit_pi_state_list, free_pi_state_cache } from "./pi_state.js";

export const HEAD_NEXT = 0;
export const HEAD_FUTEX_OFFSET = 4;
export const HEAD_LIST_OP_PENDING = 8;
/** sizeof(struct compat_robust_list_head) */
export const ROBUST_HEAD_LEN = 12;
export const ROBUST_LIST_LIMIT = 2048;
const FUTEX_ROBUST_MOD_PI = 1;

/** set_robust_list(head, len): only the length is checked; the head is not read. */
export function sys_set_robust_list(t: Task, head: number, len: number): number {
  if (len !== ROBUST_HEAD_LEN) return EINVAL;
  t.robust = { head: head >>> 0, len };
  return 0;
}

/**
 * get_robust_list(pid, &head, &len): the event returns the head pointer the syscall stores to
 * *head_ptr (0: none registered; *len_ptr is always 12), or -ESRCH for a task that is gone.
 * Same-user tasks pass ptrace_may_access; exec_update_lock is not contended in the simulator.
 */
export function sys_get_robust_list(k: Kernel, _t: Task, pid: number): number {
  // find_task_by_vpid(pid of tN): a thread is released (unhashed) when it exits, a group leader
  // only when it is reaped, so a zombie leader is found (its robust list was cleared at exit)
  const vpid = tidOf(pid);
  const p = [...k.tasks.values()].find((o) => o.tid === vpid && (o.state !== "exited" || o.tid === o.group.tgid));
  if (!p) return ESRCH;
  return p.robust ? p.robust.head : 0;
}

/**
 * futex_exit_release(): the robust list (and pending op) and the PI states of a dying task. Its
 * body is futex_cleanup's, run in this frame (every task exit runs it: one generator, not two).
 */
export function futex_exit_release(k: Kernel, t: Task): KGen {
  return futex_cleanup(k, t, "futex_exit_release", "dead");
}

/** futex_exec_release(): the same walk at exec, in the old mm, before exec_mmap. */
export function futex_exec_release(k: Kernel, t: Task): KGen {
  return futex_cleanup(k, t, "futex_exec_release", "ok");
}

/**
 * futex_cleanup_begin() .. futex_cleanup_end(): under tsk->futex_exit_mutex with futex_state
 * EXITING (a PI locker that finds this owner waits for the mutex: wait_for_owner_exiting), walk
 * the robust list, then hand off the PI states (exit_pi_state_list); DEAD at exit (then
 * futex_exit_release frees the PI state cache), OK at exec. Runs in its caller's frame `frame`.
 */
function* futex_cleanup(k: Kernel, t: Task, frame: "futex_exit_release" | "futex_exec_release", end: "dead" | "ok"): KGen {
  t.frames.push(frame);
  try {
    const m = t.futexExitMutex;
    yield "futex_cleanup_begin: mutex_lock(&tsk->futex_exit_mutex)";
    // mutex_lock without its might_sleep (the exit path's own); inline, as mutex_lock waits
    if (m.owner !== null) yield mutex_sleep(m);
    m.owner = t;
    t.futexState = "exiting";
    if (t.robust) {
      yield* exit_robust_list(k, t);
      t.robust = null;
    }
    if (t.piStateList.length) yield* exit_pi_state_list(k, t);
    yield "futex_cleanup_end: futex_state = FUTEX_STATE_DEAD";
    t.futexState = end;
    mutex_unlock(t, m);
    if (end === "dead") free_pi_state_cache(k, t);
  } finally {
    t.frames.pop();
  }
}

/** A pointer fetched from user memory, with its provenance for the sanitizer. */
interface Entry {
  entry: number;
  pi: boolean;
  /** every pointer that led here was read from the task's own robust-list metadata */
  trusted: boolean;
}

/** fetch_robust_entry(): read a (u32) node pointer, strip the PI bit; null on a fault. */
function fetch_robust_entry(k: Kernel, t: Task, ptr: number, role: "head" | "node"): Entry | null {
  const as = t.mm?.as;
  const raw = as?.readUnaligned(ptr >>> 0);
  if (raw === null || raw === undefined) return null;
  return { entry: (raw & ~FUTEX_ROBUST_MOD_PI) >>> 0, pi: (raw & FUTEX_ROBUST_MOD_PI) !== 0, trusted: k.hooks.robustTrusted(as!, ptr, t.tid, role) };
}

/**
 * exit_robust_list(): walk the dying task's list (at most ROBUST_LIST_LIMIT entries, so a cyclic
 * list terminates), skipping list_op_pending, which is handled last. A fault reading the head
 * ends everything; a fault or a failing handle_futex_death in the loop ends the walk without
 * handling the pending op.
 */
function* exit_robust_list(k: Kernel, t: Task): KGen {
  t.frames.push("exit_robust_list");
  try {
    const head = t.robust!.head;
    yield "exit_robust_list: fetch_robust_entry(&head->list.next)";
    let cur = fetch_robust_entry(k, t, head + HEAD_NEXT, "head");
    if (!cur) return;
    yield "exit_robust_list: get_user(futex_offset, &head->futex_offset)";
    const offAddr = (head + HEAD_FUTEX_OFFSET) >>> 0;
    const rawOff = t.mm?.as.readUnaligned(offAddr);
    if (rawOff === null || rawOff === undefined) return;
    const offTrusted = k.hooks.robustTrusted(t.mm!.as, offAddr, t.tid, "head");
    const futex_offset = rawOff | 0;
    yield "exit_robust_list: fetch_robust_entry(&head->list_op_pending)";
    const pending = fetch_robust_entry(k, t, head + HEAD_LIST_OP_PENDING, "head");
    if (!pending) return;
    let limit = ROBUST_LIST_LIMIT;
    let walked = 0;
    while (cur.entry !== head) {
      yield "exit_robust_list: fetch_robust_entry(&entry->next)";
      // fetch the next entry before handling this one: handling may free the node (unlocked)
      const next = fetch_robust_entry(k, t, cur.entry, "node");
      if (cur.entry !== pending.entry) {
        const uaddr = (cur.entry + futex_offset) >>> 0;
        if ((yield* handle_futex_death(k, t, uaddr, cur.pi, false, cur.trusted && offTrusted)) !== 0) return;
      }
      if (!next) return;
      cur = { entry: next.entry, pi: next.pi, trusted: cur.trusted && next.trusted };
      k.hooks.robustWalk(t, ++walked, ROBUST_LIST_LIMIT);
      if (--limit === 0) break;
      yield "exit_robust_list: cond_resched";
    }
    if (pending.entry !== 0) {
      const uaddr = (pending.entry + futex_offset) >>> 0;
      k.hooks.observe?.(OBS.ROBUST_PENDING, t, uaddr);
      yield* handle_futex_death(k, t, uaddr, pending.pi, true, pending.trusted && offTrusted);
    }
  } finally {
    t.frames.pop();
  }
}

/**
 * handle_futex_death(): if the word at uaddr is owned by the dying task, set OWNER_DIED (keep
 * WAITERS, clear the TID) and, for a non-PI futex with waiters, wake one waiter with a SHARED key.
 * For the pending op on a word it does not own: wake one waiter when the seam robustPendingWake
 * says so (v7.2, "Prevent robust futex exit race some more": unowned or no WAITERS bit), so no
 * wakeup is swallowed.
 * Returns 0, or -1 to stop the walk (misaligned or unmapped word).
 */
function* handle_futex_death(k: Kernel, t: Task, uaddr: number, pi: boolean, pendingOp: boolean, trusted: boolean): KGen<number> {
  t.frames.push("handle_futex_death");
  try {
    if (uaddr % 4 !== 0) return -1;
    for (;;) {
      yield "handle_futex_death: get_user(uval, uaddr)";
      const uval = t.mm?.as.read(uaddr) ?? null;
      if (uval === null) return -1;
      const owner = uval & FUTEX_TID_MASK;
      if (owner !== t.tid) {
        if (!pendingOp || pi) return 0;
        k.hooks.robustPendingOp(t, uaddr);
        if (k.seams.robustPendingWake(uval)) yield* wake_one_shared(k, t, uaddr);
        return 0;
      }
      const mval = ((uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0;
      yield "handle_futex_death: futex_cmpxchg_value_locked";
      const now = t.mm?.as.read(uaddr) ?? null;
      // -EFAULT and fault_in_user_writeable() fails (the page went away meanwhile)
      if (now === null) return -1;
      if (now !== uval) continue;
      k.hooks.robustDeathWrite(t, uaddr, trusted, pendingOp);
      t.mm!.as.write(uaddr, mval);
      k.hooks.kernelRobustWrite(t.mm!.as, uaddr);
      // Wake robust non-PI futexes here; PI waiters are handed off by exit_pi_state_list.
      if (!pi && uval & FUTEX_WAITERS) yield* wake_one_shared(k, t, uaddr);
      return 0;
    }
  } finally {
    t.frames.pop();
  }
}

/**
 * The seam: handle_futex_death's test whether the pending op on a word the dying task does not
 * own gets one (shared) wake. The wake resends a wakeup the dying task may have swallowed: it
 * was woken (by an unlock or by an owner's death) and died before it took the lock or set
 * FUTEX_WAITERS again, while other waiters still sleep.
 */
export type RobustPendingWake = (uval: number) => boolean;

/** v7.2 ("futex: Prevent robust futex exit race some more"): the word is unowned or has no WAITERS bit. */
export function handle_futex_death_pending_wake(uval: number): boolean {
  return (uval & FUTEX_TID_MASK) === 0 || !(uval & FUTEX_WAITERS);
}

/**
 * 90d758896787 ("futex: Resend potentially swallowed owner death notification") .. v7.1: the TID
 * part is 0. A word another thread took without FUTEX_WAITERS (after the woken waiter's unlocker
 * cleared it) gets no wake: its uncontended unlock will not wake the sleepers either.
 */
export function handle_futex_death_pending_wake_pre_some_more(uval: number): boolean {
  return (uval & FUTEX_TID_MASK) === 0;
}

/**
 * ca16d5bee598 ("futex: Prevent robust futex exit race") .. 90d758896787: the whole word is 0. A
 * waiter woken by an owner's death (OWNER_DIED, TID 0) or by an unlock that left FUTEX_WAITERS
 * set for the others, killed before it takes the lock, swallows the wakeup.
 */
export function handle_futex_death_pending_wake_pre_90d758896787(uval: number): boolean {
  return uval === 0;
}

/** futex_wake(uaddr, FLAGS_SIZE_32 | FLAGS_SHARED, 1, FUTEX_BITSET_MATCH_ANY) */
function* wake_one_shared(k: Kernel, t: Task, uaddr: number): KGen {
  const key = get_futex_key(t, uaddr, true);
  if (typeof key === "number") return;
  yield* futex_wake(k, t, key, 1);
}
