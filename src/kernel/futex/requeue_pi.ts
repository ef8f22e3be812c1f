// kernel/futex/requeue.c, the requeue-PI half (v7.2 [2026]): FUTEX_WAIT_REQUEUE_PI
// (futex_wait_requeue_pi) and FUTEX_CMP_REQUEUE_PI (futex_requeue with requeue_pi = 1): the
// requeue state machine between an early-woken waiter and the requeuer
// (futex_requeue_pi_prepare/_complete/_wakeup_sync), taking the PI futex for the top waiter
// (futex_proxy_trylock_atomic, requeue_pi_wake_futex) and queueing the others on its rt_mutex
// (rt_mutex_start_proxy_lock). A waiter the requeue woke holding the lock holds an extra
// private-hash reference (q->drop_fph) for its q->lock_ptr until it returns.
//
// Seam: Kernel.seams.requeuePiWakeFutex is requeue_pi_wake_futex (v7.2: q->task read before the
// state is published, b549113738e8) or requeue_pi_wake_futex_pre_b549113738e8 (read after).
import type { Kernel } from "../kernel.js";
import { KObj } from "../alloc.js";
import { RtMutexWaiter, rt_mutex_cleanup_proxy_lock, rt_mutex_start_proxy_lock, rt_mutex_wait_proxy_lock } from "../rtmutex.js";
import { Wait, waitUntil, type KGen } from "../sched.js";
import type { Task } from "../task.js";
import { EAGAIN, EBUSY, EFAULT, EINTR, EINVAL, ENOMEM } from "../errno.js";
import { FutexQ, __futex_unqueue, futex_hb_lock, futex_hb_unlock, futex_hb_waiters_dec, futex_hb_waiters_inc, match_futex, type FutexHashBucket, type FutexKey } from "./hb.js";
import { futex_hash, futex_hash_put, futex_private_hash_get, get_futex_key } from "./core.js";
import type { HashRef } from "./private.js";
import { futex_get_value, futex_wait_setup } from "./waitwake.js";
import { double_lock_hb, double_unlock_hb, requeue_futex } from "./requeue.js";
import { futex_get_value_locked, futex_lock_pi_atomic, get_pi_state, put_pi_state, refill_pi_state_cache, wait_for_owner_exiting, futex_top_waiter, type FutexPiState, type PiOut } from "./pi_state.js";
import { ERESTARTNOINTR, fault_in_user_writeable, restart_noint, fixup_pi_owner, futex_q_lockptr_lock, futex_unqueue_pi, pi_settled } from "./pi.js";

export const Q_REQUEUE_PI_NONE = 0;
export const Q_REQUEUE_PI_IGNORE = 1;
export const Q_REQUEUE_PI_IN_PROGRESS = 2;
export const Q_REQUEUE_PI_WAIT = 3;
export const Q_REQUEUE_PI_DONE = 4;
export const Q_REQUEUE_PI_LOCKED = 5;

/** futex_requeue_pi_prepare(): NONE -> IN_PROGRESS (false if the waiter said IGNORE). */
function futex_requeue_pi_prepare(q: FutexQ, ps: FutexPiState | null): boolean {
  if (q.requeue_state === Q_REQUEUE_PI_IGNORE) return false;
  if (q.requeue_state === Q_REQUEUE_PI_NONE) q.requeue_state = Q_REQUEUE_PI_IN_PROGRESS;
  q.pi_state = ps;
  return true;
}

/** futex_requeue_pi_complete(): DONE/LOCKED on success, NONE/IGNORE when the requeue failed. */
function futex_requeue_pi_complete(k: Kernel, t: Task, q: FutexQ, locked: number): void {
  const old = q.requeue_state;
  if (old === Q_REQUEUE_PI_IGNORE) return;
  if (locked >= 0) {
    k.warnOn(old !== Q_REQUEUE_PI_IN_PROGRESS && old !== Q_REQUEUE_PI_WAIT, "futex_requeue_pi_complete: WARN_ON_ONCE(old != IN_PROGRESS && old != WAIT)", t);
    q.requeue_state = Q_REQUEUE_PI_DONE + locked;
  } else if (old === Q_REQUEUE_PI_IN_PROGRESS) q.requeue_state = Q_REQUEUE_PI_NONE;
  else {
    k.warnOn(old !== Q_REQUEUE_PI_WAIT, "futex_requeue_pi_complete: WARN_ON_ONCE(old != Q_REQUEUE_PI_WAIT)", t);
    q.requeue_state = Q_REQUEUE_PI_IGNORE;
  }
}

/** futex_requeue_pi_wakeup_sync(): the woken waiter's side; waits out a requeue in progress. */
function* futex_requeue_pi_wakeup_sync(t: Task, q: FutexQ): KGen<number> {
  yield "futex_requeue_pi_wakeup_sync: atomic_try_cmpxchg(&q->requeue_state)";
  const old = q.requeue_state;
  if (old >= Q_REQUEUE_PI_DONE) return old;
  q.requeue_state = old === Q_REQUEUE_PI_NONE ? Q_REQUEUE_PI_IGNORE : Q_REQUEUE_PI_WAIT;
  if (old === Q_REQUEUE_PI_IN_PROGRESS) {
    t.frames.push("futex_requeue_pi_wakeup_sync");
    try {
      yield* waitUntil("atomic_cond_read_relaxed(&q->requeue_state, VAL != Q_REQUEUE_PI_WAIT)", () => q.requeue_state !== Q_REQUEUE_PI_WAIT, "spin");
    } finally {
      t.frames.pop();
    }
  }
  return q.requeue_state;
}

/** The requeuePiWakeFutex seam. */
export type RequeuePiWakeFutex = (k: Kernel, t: Task, q: FutexQ, key: FutexKey, hb: FutexHashBucket) => KGen;

/** Steps 1-4 of requeue_pi_wake_futex(), the same in both versions. */
function* requeue_pi_wake_prepare(k: Kernel, t: Task, q: FutexQ, key: FutexKey, hb: FutexHashBucket): KGen {
  q.key = key;
  __futex_unqueue(k, t, q);
  k.warnOn(!q.rt_waiter, "requeue_pi_wake_futex: WARN_ON(!q->rt_waiter)", t);
  q.rt_waiter = null;
  // a reference for the waiter, to keep its q->lock_ptr valid until it returns
  if (key.type === "private" && hb.owner && (yield* futex_private_hash_get(k, t, key.mm.futex.hash!))) {
    q.drop_fph = key.mm.futex.hash;
    k.hooks.fphTransfer(t, q.task);
  }
  q.lock_ptr = hb;
}

/**
 * requeue_pi_wake_futex() (v7.2, b549113738e8): the requeue took the PI futex for the waiter.
 * q->task is read BEFORE the LOCKED state is published: from then on the waiter may return and
 * its on-stack futex_q is gone.
 */
export function* requeue_pi_wake_futex(k: Kernel, t: Task, q: FutexQ, key: FutexKey, hb: FutexHashBucket): KGen {
  t.frames.push("requeue_pi_wake_futex");
  try {
    yield* requeue_pi_wake_prepare(k, t, q, key, hb);
    if (q.frame) k.hooks.access(q.frame, "READ_ONCE(q->task)", t);
    const task = q.task;
    yield "requeue_pi_wake_futex: futex_requeue_pi_complete(q, 1)";
    futex_requeue_pi_complete(k, t, q, 1);
    yield "requeue_pi_wake_futex: wake_up_state(task, TASK_NORMAL)";
    task.wakeup = true;
  } finally {
    t.frames.pop();
  }
}

/**
 * requeue_pi_wake_futex() before b549113738e8 "futex: Prevent use-after-free during requeue-PI"
 * (since 07d91ef510fb): wake_up_state(q->task) reads q after futex_requeue_pi_complete(q, 1). A
 * waiter woken early (signal, timeout) waiting in futex_requeue_pi_wakeup_sync returns as soon as
 * it sees LOCKED, and its stack frame with q is gone.
 */
export function* requeue_pi_wake_futex_pre_b549113738e8(k: Kernel, t: Task, q: FutexQ, key: FutexKey, hb: FutexHashBucket): KGen {
  t.frames.push("requeue_pi_wake_futex");
  try {
    yield* requeue_pi_wake_prepare(k, t, q, key, hb);
    yield "requeue_pi_wake_futex: futex_requeue_pi_complete(q, 1)";
    futex_requeue_pi_complete(k, t, q, 1);
    yield "requeue_pi_wake_futex: wake_up_state(q->task, TASK_NORMAL)";
    if (q.frame) k.hooks.access(q.frame, "wake_up_state(q->task, TASK_NORMAL)", t);
    q.task.wakeup = true;
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_proxy_trylock_atomic() (hb1, hb2 locked): take the PI futex for the top waiter of key1
 * and wake it (1), or leave it to be queued on the rt_mutex (0, pi_state in out), or an error.
 */
function* futex_proxy_trylock_atomic(k: Kernel, t: Task, pifutex: number, hb1: FutexHashBucket, hb2: FutexHashBucket, key1: FutexKey, key2: FutexKey, out: PiOut, set_waiters: boolean): KGen<number> {
  t.frames.push("futex_proxy_trylock_atomic");
  try {
    if (futex_get_value_locked(t, pifutex) === null) return EFAULT;
    const top = futex_top_waiter(hb1, key1);
    if (!top) return 0;
    if (!top.rt_waiter || top.pi_state) return EINVAL;
    if (!top.requeue_pi_key || !match_futex(top.requeue_pi_key, key2)) return EINVAL;
    if (!futex_requeue_pi_prepare(top, null)) {
      // an early-woken waiter on its way out: take it off so the retry does not find it again
      hb1.chain.splice(hb1.chain.indexOf(top), 1);
      futex_hb_waiters_dec(k, t, hb1);
      return EAGAIN;
    }
    const ret = yield* futex_lock_pi_atomic(k, t, pifutex, hb2, key2, out, top.task, set_waiters);
    if (ret === 1) yield* k.seams.requeuePiWakeFutex(k, t, top, key2, hb2);
    else if (ret < 0) futex_requeue_pi_complete(k, t, top, ret);
    return ret;
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_cmp_requeue_pi's unlock on every way out once both buckets are locked: waiters count of
 * hb2 down, double_unlock_hb, both hash references dropped. A function of its own, not a
 * generator expression made per call: each evaluation of `function* () {}` makes a new generator
 * function with its own prototype, so its generator objects get a new hidden class every time.
 */
function* requeue_pi_unlock(k: Kernel, t: Task, hb1: FutexHashBucket, hb2: FutexHashBucket, ref1: HashRef, ref2: HashRef): KGen {
  futex_hb_waiters_dec(k, t, hb2);
  double_unlock_hb(k, t, hb1, hb2);
  yield* futex_hash_put(k, t, ref2);
  yield* futex_hash_put(k, t, ref1);
}

/**
 * futex_requeue(uaddr1, uaddr2, nr_wake = 1, nr_requeue, &cmpval, requeue_pi = 1): take uaddr2
 * for the top waiter of uaddr1 if it can, queue up to nr_requeue more on uaddr2's rt_mutex.
 * Returns woken + requeued, or -EINVAL, -EAGAIN, -EFAULT, -ENOMEM, -EDEADLK, -ESRCH.
 */
export function* futex_cmp_requeue_pi(k: Kernel, t: Task, uaddr1: number, uaddr2: number, shared: boolean, nr_wake: number, nr_requeue: number, cmpval: number): KGen<number> {
  t.frames.push("futex_requeue");
  try {
    if (nr_wake < 0 || nr_requeue < 0) return EINVAL;
    if (uaddr1 === uaddr2 || nr_wake !== 1) return EINVAL;
    if (refill_pi_state_cache(k, t)) return ENOMEM;
    for (;;) {
      yield "futex_requeue: get_futex_key(uaddr1), get_futex_key(uaddr2)";
      const key1 = get_futex_key(t, uaddr1, shared);
      if (typeof key1 === "number") return key1;
      const key2 = get_futex_key(t, uaddr2, shared);
      if (typeof key2 === "number") return key2;
      if (match_futex(key1, key2)) return EINVAL;
      const ref1 = yield* futex_hash(k, t, key1);
      const ref2 = yield* futex_hash(k, t, key2);
      const hb1 = ref1.hb;
      const hb2 = ref2.hb;
      yield "futex_requeue: futex_hb_waiters_inc(hb2)";
      futex_hb_waiters_inc(k, t, hb2);
      yield* double_lock_hb(k, t, hb1, hb2);
      yield "futex_requeue: futex_get_value_locked(uaddr1)";
      const curval = futex_get_value(t, uaddr1);
      if (curval === null || curval !== cmpval >>> 0) {
        yield* requeue_pi_unlock(k, t, hb1, hb2, ref1, ref2);
        return curval === null ? EFAULT : EAGAIN;
      }
      const out: PiOut = { pi_state: null, exiting: null };
      let ret = yield* futex_proxy_trylock_atomic(k, t, uaddr2, hb1, hb2, key1, key2, out, nr_requeue > 0);
      let task_count = 0;
      if (ret === 1) {
        task_count++;
        ret = 0;
      } else if (ret === EFAULT) {
        yield* requeue_pi_unlock(k, t, hb1, hb2, ref1, ref2);
        if (fault_in_user_writeable(t, uaddr2)) return EFAULT;
        continue;
      } else if (ret === EBUSY || ret === EAGAIN) {
        futex_hb_waiters_dec(k, t, hb2);
        double_unlock_hb(k, t, hb1, hb2);
        yield* wait_for_owner_exiting(k, t, ret, out.exiting);
        yield "futex_requeue: cond_resched";
        yield* futex_hash_put(k, t, ref2);
        yield* futex_hash_put(k, t, ref1);
        continue;
      } else if (ret < 0) {
        yield* requeue_pi_unlock(k, t, hb1, hb2, ref1, ref2);
        return ret;
      }
      const ps = out.pi_state;
      for (const q of [...hb1.chain]) {
        if (task_count - nr_wake >= nr_requeue) break;
        if (!match_futex(q.key, key1)) continue;
        if (!q.rt_waiter || q.pi_state || !q.requeue_pi_key || !match_futex(q.requeue_pi_key, key2) || !ps) {
          ret = EINVAL;
          break;
        }
        yield "futex_requeue: requeue one waiter to the PI futex";
        get_pi_state(k, t, ps);
        if (!futex_requeue_pi_prepare(q, ps)) {
          put_pi_state(k, t, ps);
          continue;
        }
        const r = yield* rt_mutex_start_proxy_lock(t, ps.pi_mutex, q.rt_waiter, q.task);
        k.hooks.piWaiters(ps, t);
        if (r === 1) {
          yield* k.seams.requeuePiWakeFutex(k, t, q, key2, hb2);
          task_count++;
        } else if (r === 0) {
          requeue_futex(k, t, q, hb1, hb2, key2);
          futex_requeue_pi_complete(k, t, q, 0);
          task_count++;
        } else {
          q.pi_state = null;
          put_pi_state(k, t, ps);
          futex_requeue_pi_complete(k, t, q, r);
          ret = r;
          break;
        }
      }
      // the initial reference futex_proxy_trylock_atomic() took
      pi_settled(k, t, ps, uaddr2);
      put_pi_state(k, t, ps);
      yield* requeue_pi_unlock(k, t, hb1, hb2, ref1, ref2);
      yield "futex_requeue: wake_up_q";
      return ret ? ret : task_count;
    }
  } finally {
    t.frames.pop();
  }
}

/** handle_early_requeue_pi_wakeup(): woken on uaddr1 before any requeue (signal, spurious). */
function handle_early_requeue_pi_wakeup(k: Kernel, t: Task, hb: FutexHashBucket, q: FutexQ): number {
  k.warnOn(hb !== q.lock_ptr, "handle_early_requeue_pi_wakeup: WARN_ON_ONCE(&hb->lock != q->lock_ptr)", t);
  if (hb.chain.includes(q)) {
    hb.chain.splice(hb.chain.indexOf(q), 1);
    futex_hb_waiters_dec(k, t, hb);
  }
  return t.signalPending() ? ERESTARTNOINTR : EAGAIN;
}

/** The waiter's futex_q, in a stack frame KASAN sees die when the syscall returns. */
class FutexQFrame extends KObj {
  constructor() {
    super("struct futex_q (stack)", 112);
  }
}

/**
 * futex_wait_requeue_pi(uaddr, val, uaddr2): wait on the non-PI uaddr; return owning the PI
 * futex uaddr2 (0), or -EAGAIN (-EWOULDBLOCK), -EINVAL, -EFAULT, -ERESTARTNOINTR (signal before
 * any requeue), -EDEADLK.
 */
export function* futex_wait_requeue_pi(k: Kernel, t: Task, uaddr: number, val: number, uaddr2: number, shared: boolean): KGen<number> {
  t.frames.push("futex_wait_requeue_pi");
  const frame = k.heap.track(new FutexQFrame(), t);
  try {
    if (uaddr === uaddr2) return EINVAL;
    const rt_waiter = new RtMutexWaiter(t);
    const key2 = get_futex_key(t, uaddr2, shared);
    if (typeof key2 === "number") return key2;
    const key = get_futex_key(t, uaddr, shared);
    if (typeof key === "number") return key;
    if (match_futex(key, key2)) return EINVAL;
    const q = new FutexQ(t, key);
    q.rt_waiter = rt_waiter;
    q.requeue_pi_key = key2;
    q.frame = frame;
    const r = yield* futex_wait_setup(k, t, uaddr, val, key, q);
    if (typeof r === "number") return r;
    // futex_do_wait(): sleep unless the requeue already took us off the list
    if (q.lock_ptr && q.lock_ptr.chain.includes(q)) {
      k.hooks.sleep(t, q);
      yield new Wait("futex_wait_requeue_pi: schedule()", () => t.wakeup || t.signalPending(), "interruptible");
      k.hooks.woken(t);
    }
    t.wakeup = false;
    let ret = 0;
    const state = yield* futex_requeue_pi_wakeup_sync(t, q);
    if (state === Q_REQUEUE_PI_IGNORE) {
      // still on uaddr1
      const ref = yield* futex_hash(k, t, q.key);
      yield* futex_hb_lock(k, t, ref.hb);
      ret = handle_early_requeue_pi_wakeup(k, t, ref.hb, q);
      futex_hb_unlock(k, t, ref.hb);
      yield* futex_hash_put(k, t, ref);
    } else if (state === Q_REQUEUE_PI_LOCKED) {
      if (q.pi_state && q.pi_state.owner !== t) {
        const hb = yield* futex_q_lockptr_lock(k, t, q);
        ret = yield* fixup_pi_owner(k, t, uaddr2, q, true);
        pi_settled(k, t, q.pi_state, uaddr2);
        put_pi_state(k, t, q.pi_state);
        q.pi_state = null;
        futex_hb_unlock(k, t, hb);
        ret = ret < 0 ? ret : 0;
      }
    } else {
      // DONE: queued on the rt_mutex of uaddr2
      const ps = q.pi_state!;
      yield "futex_wait_requeue_pi: rt_mutex_wait_proxy_lock";
      ret = yield* rt_mutex_wait_proxy_lock(t, ps.pi_mutex, rt_waiter);
      if (ret && !(yield* rt_mutex_cleanup_proxy_lock(t, ps.pi_mutex, rt_waiter))) ret = 0;
      const hb = yield* futex_q_lockptr_lock(k, t, q);
      const res = yield* fixup_pi_owner(k, t, uaddr2, q, ret === 0);
      if (res) ret = res < 0 ? res : 0;
      pi_settled(k, t, ps, uaddr2);
      futex_unqueue_pi(k, t, q);
      futex_hb_unlock(k, t, hb);
      if (ret === EINTR) ret = EAGAIN;
    }
    // the extra reference requeue_pi_wake_futex() took for us
    if (q.drop_fph) yield* k.seams.futexPrivateHashPut(k, t, q.drop_fph);
    return ret;
  } finally {
    k.heap.free(frame, t);
    t.frames.pop();
  }
}

/** The event: FUTEX_WAIT_REQUEUE_PI, restarted after a caught signal's handler (-ERESTARTNOINTR). */
export function sys_futex_wait_requeue_pi(k: Kernel, t: Task, uaddr: number, val: number, uaddr2: number, shared: boolean): KGen<number> {
  return restart_noint(k, t, "futex_wait_requeue_pi", () => futex_wait_requeue_pi(k, t, uaddr, val, uaddr2, shared));
}
