// kernel/futex/pi.c, the operations: FUTEX_LOCK_PI / FUTEX_TRYLOCK_PI (futex_lock_pi), the
// owner fixup after the rt_mutex wait (fixup_pi_owner, __fixup_pi_state_owner), FUTEX_UNLOCK_PI
// (futex_unlock_pi, wake_futex_pi) and its FUTEX_ROBUST_UNLOCK variant (the pop is cleared only
// after a successful unlock). The pi_state machinery is in pi_state.ts, the rt_mutex in
// ../rtmutex.ts.
//
// Seam: Kernel.seams.futexLockPiRetry is what futex_lock_pi() does with the exiting owner after
// wait_for_owner_exiting() before it retries: forget it (v7.2, 210d36d892de) or keep the stale
// pointer (futex_lock_pi_keep_exiting_pre_210d36d892de).
import type { Kernel } from "../kernel.js";
import { RtMutexWaiter, __rt_mutex_futex_unlock, __rt_mutex_start_proxy_lock, rt_mutex_cleanup_proxy_lock, rt_mutex_futex_trylock, rt_mutex_top_waiter, rt_mutex_wait_proxy_lock, type RtMutex } from "../rtmutex.js";
import { Wait, spin_lock, spin_unlock, type KGen } from "../sched.js";
import type { Task } from "../task.js";
import { EAGAIN, EBUSY, EFAULT, EINTR, EINVAL, ENOMEM, EPERM } from "../errno.js";
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS } from "../../program/types.js";
import { FutexQ, __futex_queue, __futex_unqueue, futex_hb_lock, futex_hb_unlock, futex_hb_waiters_dec, futex_hb_waiters_inc, type FutexHashBucket, type FutexKey } from "./hb.js";
import { futex_hash, futex_hash_put, futex_private_hash_get, get_futex_key } from "./core.js";
import { futex_robust_list_clear_pending } from "./robust_unlock.js";
import {
  futex_get_value_locked,
  futex_lock_pi_atomic,
  futex_put_value_locked,
  futex_top_waiter,
  get_pi_state,
  pi_state_update_owner,
  put_pi_state,
  refill_pi_state_cache,
  wait_for_owner_exiting,
  type FutexPiState,
  type PiOut,
} from "./pi_state.js";

/** -ERESTARTNOINTR: the syscall is restarted after a caught signal's handler, SA_RESTART or not. */
export const ERESTARTNOINTR = -513;

/** The futexLockPiRetry seam: what is left of the exiting owner when futex_lock_pi() retries. */
export type FutexLockPiRetry = (out: PiOut) => void;

/** v7.2 (210d36d892de): the reference was consumed by wait_for_owner_exiting(); clear the pointer. */
export function futex_lock_pi_forget_exiting(out: PiOut): void {
  out.exiting = null;
}

/**
 * Before 210d36d892de "futex: Clear stale exiting pointer in futex_lock_pi() retry path": the
 * pointer survives the retry, so a retry that fails with -EAGAIN hands the stale task to
 * wait_for_owner_exiting(), which warns (WARN_ON_ONCE(exiting)).
 */
export function futex_lock_pi_keep_exiting_pre_210d36d892de(_out: PiOut): void {}

/** fault_in_user_writeable(): 0 when the page is there (writable), -EFAULT otherwise. */
export function fault_in_user_writeable(t: Task, uaddr: number): number {
  return t.mm && t.mm.as.lookup(uaddr) ? 0 : EFAULT;
}

/** futex_q_lockptr_lock(): lock the bucket q is on now (it may move: requeue, rehash). */
export function* futex_q_lockptr_lock(k: Kernel, t: Task, q: FutexQ): KGen<FutexHashBucket> {
  k.rcu.read_lock(t);
  try {
    for (;;) {
      yield "futex_q_lockptr_lock: READ_ONCE(q->lock_ptr)";
      const lock_ptr = q.lock_ptr!;
      yield* futex_hb_lock(k, t, lock_ptr);
      if (lock_ptr === q.lock_ptr) return lock_ptr;
      futex_hb_unlock(k, t, lock_ptr);
    }
  } finally {
    k.rcu.read_unlock(t);
  }
}

/** futex_unqueue_pi(): off the bucket (unless futex_unlock_pi() took it off), drop the pi_state. */
export function futex_unqueue_pi(k: Kernel, t: Task, q: FutexQ): void {
  if (q.lock_ptr && q.lock_ptr.chain.includes(q)) __futex_unqueue(k, t, q);
  put_pi_state(k, t, q.pi_state);
  q.pi_state = null;
}

/** The bucket lock is dropped with {word, pi_state} settled: the PI sanitizer may look. */
export function pi_settled(k: Kernel, t: Task, ps: FutexPiState | null, uaddr: number): void {
  if (ps && t.mm) k.hooks.piSettled(ps, t.mm.as, uaddr, t);
}

/**
 * __fixup_pi_state_owner() (q->lock_ptr held): make the word and pi_state->owner name the rt_mutex
 * owner: `argowner` = current after taking the lock (a steal, or after the owner died), null when
 * the lock went to another task. Returns 1 (current owns it), 0, or -EFAULT.
 */
function* fixup_pi_state_owner(k: Kernel, t: Task, uaddr: number, q: FutexQ, argowner: Task | null): KGen<number> {
  t.frames.push("fixup_pi_state_owner");
  const wl = q.pi_state!.pi_mutex.wait_lock;
  try {
    yield* spin_lock(t, wl);
    return yield* __fixup_pi_state_owner(k, t, uaddr, q, argowner);
  } finally {
    spin_unlock(t, wl);
    t.frames.pop();
  }
}

/** __fixup_pi_state_owner(), with the pi_mutex wait_lock and q->lock_ptr held (dropped and retaken to retry). */
function* __fixup_pi_state_owner(k: Kernel, t: Task, uaddr: number, q: FutexQ, argowner: Task | null): KGen<number> {
  const ps = q.pi_state!;
  const oldowner = ps.owner;
  for (;;) {
    let newowner: Task;
    if (!argowner) {
      if (oldowner !== t) return 0;
      if (rt_mutex_futex_trylock(ps.pi_mutex, t)) return 1;
      const o = ps.pi_mutex.owner;
      if (!o) {
        // the top waiter has not taken the lock yet: drop the locks and try again
        spin_unlock(t, ps.pi_mutex.wait_lock);
        futex_hb_unlock(k, t, q.lock_ptr!);
        yield new Wait("__fixup_pi_state_owner: cond_resched", () => lockTaken(ps.pi_mutex), "spin");
        yield* futex_q_lockptr_lock(k, t, q);
        yield* spin_lock(t, ps.pi_mutex.wait_lock);
        if (ps.owner !== oldowner) return 0;
        continue;
      }
      newowner = o;
    } else {
      k.warnOn(argowner !== t, "__fixup_pi_state_owner: WARN_ON_ONCE(argowner != current)", t);
      if (oldowner === t) return 1;
      newowner = argowner;
    }
    let newtid = newowner.tid | FUTEX_WAITERS;
    if (!ps.owner) newtid |= FUTEX_OWNER_DIED;
    yield "__fixup_pi_state_owner: futex_cmpxchg_value_locked";
    const uval = futex_get_value_locked(t, uaddr);
    if (uval === null || !futex_put_value_locked(k, t, uaddr, (uval & FUTEX_OWNER_DIED) | newtid, q.key)) {
      // fault_in_user_writeable() fails: keep the kernel state consistent, user state is hosed
      if (ps.pi_mutex.owner) pi_state_update_owner(k, t, ps, ps.pi_mutex.owner);
      return EFAULT;
    }
    pi_state_update_owner(k, t, ps, newowner);
    return argowner === t ? 1 : 0;
  }
}

function lockTaken(m: RtMutex): boolean {
  return m.owner !== null || m.waiters.length === 0;
}

/** fixup_pi_owner() (q->lock_ptr held): 1 lock taken, 0 not taken, <0 error. */
export function* fixup_pi_owner(k: Kernel, t: Task, uaddr: number, q: FutexQ, locked: boolean): KGen<number> {
  const ps = q.pi_state!;
  if (locked) {
    if (ps.owner !== t) return yield* fixup_pi_state_owner(k, t, uaddr, q, t);
    return 1;
  }
  if (ps.owner === t) return yield* fixup_pi_state_owner(k, t, uaddr, q, null);
  if (ps.pi_mutex.owner === t) {
    k.warnOn(true, "fixup_pi_owner: WARN_ON_ONCE(rt_mutex_owner(&q->pi_state->pi_mutex) == current)", t);
  }
  return 0;
}

/**
 * futex_lock_pi(uaddr, flags, trylock): 0 (the lock is ours), -EDEADLK, -ESRCH, -EINVAL, -EFAULT,
 * -ENOMEM, -EWOULDBLOCK (trylock), -ERESTARTNOINTR (a caught signal: the syscall restarts).
 */
export function* futex_lock_pi(k: Kernel, t: Task, uaddr: number, shared: boolean, trylock: boolean): KGen<number> {
  t.frames.push(trylock ? "futex_trylock_pi" : "futex_lock_pi");
  try {
    if (refill_pi_state_cache(k, t)) return ENOMEM;
    const out: PiOut = { pi_state: null, exiting: null };
    for (;;) {
      const key = get_futex_key(t, uaddr, shared);
      if (typeof key === "number") return key;
      const q = new FutexQ(t, key);
      const ref = yield* futex_hash(k, t, key);
      const hb = ref.hb;
      yield "futex_lock_pi: futex_q_lock: futex_hb_waiters_inc";
      futex_hb_waiters_inc(k, t, hb);
      q.lock_ptr = hb;
      yield* futex_hb_lock(k, t, hb);
      out.pi_state = null;
      const ret = yield* futex_lock_pi_atomic(k, t, uaddr, hb, key, out, t, false);
      if (ret !== 0) {
        // futex_q_unlock(); the CLASS(hb) reference goes when the block is left
        futex_hb_waiters_dec(k, t, hb);
        futex_hb_unlock(k, t, hb);
        if (ret === EBUSY || ret === EAGAIN) {
          yield* wait_for_owner_exiting(k, t, ret, out.exiting);
          k.seams.futexLockPiRetry(out);
          yield "futex_lock_pi: cond_resched";
          yield* futex_hash_put(k, t, ref);
          continue;
        }
        yield* futex_hash_put(k, t, ref);
        if (ret === 1) return 0;
        if (ret === EFAULT && fault_in_user_writeable(t, uaddr) === 0) continue;
        return ret;
      }
      k.warnOn(!out.pi_state, "futex_lock_pi: WARN_ON(!q.pi_state)", t);
      const ps = out.pi_state!;
      q.pi_state = ps;
      __futex_queue(q, hb);
      let r: number;
      let refHeld = true;
      if (trylock) {
        r = rt_mutex_futex_trylock(ps.pi_mutex, t) ? 0 : EAGAIN;
      } else {
        // the reference goes while hb->lock is held (a resize blocks on the lock)
        yield* futex_hash_put(k, t, ref);
        refHeld = false;
        const w = new RtMutexWaiter(t);
        // wait_lock taken, then hb->lock dropped: futex_unlock_pi() sees the waiter
        yield* spin_lock(t, ps.pi_mutex.wait_lock);
        pi_settled(k, t, ps, uaddr);
        futex_hb_unlock(k, t, hb);
        r = __rt_mutex_start_proxy_lock(ps.pi_mutex, w, t);
        k.hooks.piWaiters(ps, t);
        spin_unlock(t, ps.pi_mutex.wait_lock);
        if (r === 1) r = 0;
        else if (r === 0) {
          yield "futex_lock_pi: rt_mutex_wait_proxy_lock";
          r = yield* rt_mutex_wait_proxy_lock(t, ps.pi_mutex, w);
        }
        // cleanup: without hb->lock (the rt_mutex may have a waiter queued)
        if (r && !(yield* rt_mutex_cleanup_proxy_lock(t, ps.pi_mutex, w))) r = 0;
        yield* futex_q_lockptr_lock(k, t, q);
      }
      // no_block:
      const res = yield* fixup_pi_owner(k, t, uaddr, q, r === 0);
      if (res) r = res < 0 ? res : 0;
      const lock_ptr = q.lock_ptr!;
      pi_settled(k, t, ps, uaddr);
      futex_unqueue_pi(k, t, q);
      futex_hb_unlock(k, t, lock_ptr);
      if (refHeld) yield* futex_hash_put(k, t, ref);
      // the extra reference futex_unlock_pi() took for a leaving waiter
      if (q.drop_fph) yield* k.seams.futexPrivateHashPut(k, t, q.drop_fph);
      return r === EINTR ? ERESTARTNOINTR : r;
    }
  } finally {
    t.frames.pop();
  }
}

/**
 * wake_futex_pi() (caller holds a pi_state reference): hand the futex to the top rt_mutex waiter:
 * word = its TID | FUTEX_WAITERS, pi_state->owner = it, the rt_mutex released and the waiter woken.
 */
function* wake_futex_pi(k: Kernel, t: Task, uaddr: number, uval: number, ps: FutexPiState, top: RtMutexWaiter, key: FutexKey): KGen<number> {
  t.frames.push("wake_futex_pi");
  try {
    const new_owner = top.task;
    const newval = (FUTEX_WAITERS | new_owner.tid) >>> 0;
    yield "wake_futex_pi: futex_cmpxchg_value_locked";
    const cur = futex_get_value_locked(t, uaddr);
    let ret = 0;
    if (cur === null) ret = EFAULT;
    else if (cur !== uval) ret = (cur & FUTEX_TID_MASK) === uval ? EAGAIN : EINVAL;
    else if (!futex_put_value_locked(k, t, uaddr, newval, key)) ret = EFAULT;
    else {
      // the point of no return
      pi_state_update_owner(k, t, ps, new_owner);
      __rt_mutex_futex_unlock(ps.pi_mutex);
      pi_settled(k, t, ps, uaddr);
    }
    // out_unlock: raw_spin_unlock_irq(&pi_state->pi_mutex.wait_lock)
    spin_unlock(t, ps.pi_mutex.wait_lock);
    if (ret === 0) yield "wake_futex_pi: rt_mutex_postunlock";
    return ret;
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_unlock_pi(uaddr, flags): release a PI futex we own: 0, -EPERM (not ours), -EINVAL
 * (inconsistent state), -EAGAIN (the word changed under a waiterless unlock), -EFAULT. With
 * FUTEX_ROBUST_UNLOCK (pop != null) the robust list's pending op is cleared after a successful
 * unlock (futex_robust_list_clear_pending; -EFAULT when that faults).
 */
export function* futex_unlock_pi(k: Kernel, t: Task, uaddr: number, shared: boolean, pop: number | null): KGen<number> {
  t.frames.push("futex_unlock_pi");
  try {
    const ret = yield* __futex_unlock_pi(k, t, uaddr, shared);
    if (ret !== 0 || pop === null) return ret;
    yield "futex_unlock_pi: futex_robust_list_clear_pending";
    return futex_robust_list_clear_pending(k, t, pop) ? 0 : EFAULT;
  } finally {
    t.frames.pop();
  }
}

function* __futex_unlock_pi(k: Kernel, t: Task, uaddr: number, shared: boolean): KGen<number> {
  for (;;) {
    // retry:
    yield "futex_unlock_pi: get_user(uval, uaddr)";
    // before any alignment check: a misaligned word not holding our TID is -EPERM
    const uval = t.mm ? t.mm.as.readUnaligned(uaddr) : null;
    if (uval === null) return EFAULT;
    if ((uval & FUTEX_TID_MASK) !== t.tid) return EPERM;
    const key = get_futex_key(t, uaddr, shared);
    if (typeof key === "number") return key;
    const ref = yield* futex_hash(k, t, key);
    const hb = ref.hb;
    yield* futex_hb_lock(k, t, hb);
    let ret: number;
    for (;;) {
      // retry_hb: check the waiters first, we do not trust the user word
      const top = futex_top_waiter(hb, key);
      if (top) {
        const ps = top.pi_state;
        if (!ps || ps.owner !== t) {
          futex_hb_unlock(k, t, hb);
          yield* futex_hash_put(k, t, ref);
          return EINVAL;
        }
        // wait_lock while hb->lock is held: wake_futex_pi() must see every new waiter
        k.hooks.access(ps, "raw_spin_lock_irq(&pi_state->pi_mutex.wait_lock)", t);
        yield* spin_lock(t, ps.pi_mutex.wait_lock);
        const rt_waiter = rt_mutex_top_waiter(ps.pi_mutex);
        if (!rt_waiter) {
          // the waiter is leaving (signal): unqueue it, with a hash reference for its lock_ptr
          if (ref.fph && (yield* futex_private_hash_get(k, t, ref.fph))) {
            top.drop_fph = ref.fph;
            k.hooks.fphTransfer(t, top.task);
          }
          __futex_unqueue(k, t, top);
          spin_unlock(t, ps.pi_mutex.wait_lock);
          continue;
        }
        get_pi_state(k, t, ps);
        futex_hb_unlock(k, t, hb);
        ret = yield* wake_futex_pi(k, t, uaddr, uval, ps, rt_waiter, key);
        put_pi_state(k, t, ps);
        yield* futex_hash_put(k, t, ref);
        if (ret === 0 || (ret !== EFAULT && ret !== EAGAIN)) return ret;
        if (ret === EFAULT && fault_in_user_writeable(t, uaddr)) return EFAULT;
        break;
      }
      // no kernel state: the word goes to 0 (neither WAITERS nor OWNER_DIED kept)
      yield "futex_unlock_pi: futex_cmpxchg_value_locked(uval -> 0)";
      const cur = futex_get_value_locked(t, uaddr);
      if (cur === null) {
        futex_hb_unlock(k, t, hb);
        yield* futex_hash_put(k, t, ref);
        if (fault_in_user_writeable(t, uaddr)) return EFAULT;
        break;
      }
      if (cur === uval) futex_put_value_locked(k, t, uaddr, 0, key);
      ret = cur === uval ? 0 : EAGAIN;
      futex_hb_unlock(k, t, hb);
      yield* futex_hash_put(k, t, ref);
      return ret;
    }
    yield "futex_unlock_pi: cond_resched";
  }
}

/**
 * A PI call returning -ERESTARTNOINTR (a caught signal: the handler runs, then the same call
 * again, SA_RESTART or not; a group stop is stopped and continued first).
 */
export function* restart_noint(k: Kernel, t: Task, name: string, call: () => KGen<number>): KGen<number> {
  for (;;) {
    const r = yield* call();
    if (r !== ERESTARTNOINTR) return r;
    if (t.group.killed) return EINTR;
    k.hooks.userReturn(t);
    t.sigusr1 = false;
    if (t.jobStop) {
      // a group stop: do_signal_stop(), and `sigstop` is SIGSTOP + SIGCONT in one event: the stop
      // ends here (waiting for a SIGCONT that no later event sends parked the task for good)
      t.jobStop = false;
      yield "do_signal_stop: stopped until SIGCONT";
    }
    if (t.group.killed) return EINTR;
    yield `restart: ${name}`;
  }
}

/** The event: FUTEX_LOCK_PI / FUTEX_TRYLOCK_PI, restarted after a caught signal's handler. */
export function sys_futex_lock_pi(k: Kernel, t: Task, uaddr: number, shared: boolean, trylock: boolean): KGen<number> {
  return restart_noint(k, t, "futex_lock_pi", () => futex_lock_pi(k, t, uaddr, shared, trylock));
}
