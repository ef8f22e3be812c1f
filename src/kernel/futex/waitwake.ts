// kernel/futex/waitwake.c: futex_wait (setup, queue, schedule, unqueue) and futex_wake.
// Waiters hold no hash reference while asleep: only q->lock_ptr ties them to a bucket.
import type { Kernel } from "../kernel.js";
import { might_sleep, waitUntil, type KGen } from "../sched.js";
import type { Task } from "../task.js";
import { EAGAIN, EFAULT, EINVAL, ERESTART_RESTARTBLOCK, ERESTARTSYS, ETIMEDOUT } from "../errno.js";
import { FutexQ, __futex_queue, futex_hb_lock, futex_hb_unlock, futex_hb_waiters_dec, futex_hb_waiters_inc, futex_hb_waiters_pending, futex_wake_mark, match_futex, type FutexKey } from "./hb.js";
import { futex_hash, futex_hash_put, get_futex_key } from "./core.js";
import { futex_setup_timer, hrtimer_cancel, hrtimer_sleeper_start_expires, timed_out, type HrtimerSleeper, type TimerExpiry } from "./timeout.js";

/** futex_get_value_locked(): read the user word (page faults are -EFAULT here). */
export function futex_get_value(t: Task, uaddr: number): number | null {
  return t.mm ? t.mm.as.read(uaddr) : null;
}

/**
 * futex_wait_setup(): hash (taking a reference), futex_q_lock (count the waiter, point lock_ptr
 * at the bucket, lock), compare the user value under the lock, queue, unlock, drop the reference.
 * Returns the queued q, or an errno (-EAGAIN when the word differs from `val`).
 */
export function* futex_wait_setup(k: Kernel, t: Task, uaddr: number, val: number, key: FutexKey, q = new FutexQ(t, key)): KGen<FutexQ | number> {
  t.frames.push("futex_wait_setup");
  try {
    const ref = yield* futex_hash(k, t, key);
    const hb = ref.hb;
    // futex_q_lock()
    yield "futex_wait_setup: futex_q_lock: futex_hb_waiters_inc";
    futex_hb_waiters_inc(k, t, hb);
    q.lock_ptr = hb;
    yield* futex_hb_lock(k, t, hb);
    yield "futex_wait_setup: futex_get_value_locked";
    const uval = futex_get_value(t, uaddr);
    if (uval === null || uval !== val >>> 0) {
      // futex_q_unlock()
      futex_hb_waiters_dec(k, t, hb);
      futex_hb_unlock(k, t, hb);
      yield* futex_hash_put(k, t, ref);
      return uval === null ? EFAULT : EAGAIN;
    }
    // set_current_state(TASK_INTERRUPTIBLE); futex_queue()
    t.wakeup = false;
    __futex_queue(q, hb);
    futex_hb_unlock(k, t, hb);
    // the reference is dropped while TASK_INTERRUPTIBLE: no ref is held across schedule()
    yield* futex_hash_put(k, t, ref);
    return q;
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_wait() (__futex_wait): returns 0 when woken, -EAGAIN, -EFAULT, -ETIMEDOUT (the timer
 * `to` fired), -ERESTARTSYS (a signal: the return to user space makes it -EINTR or a restart). A
 * wakeup that left q queued without a signal pending is spurious: set up and wait again.
 */
export function* futex_wait(k: Kernel, t: Task, uaddr: number, val: number, key: FutexKey, to: HrtimerSleeper | null = null): KGen<number> {
  t.frames.push("futex_wait");
  try {
    for (;;) {
      const q = yield* futex_wait_setup(k, t, uaddr, val, key);
      if (typeof q === "number") return q;
      // futex_do_wait(): arm the timer; schedule() unless already woken or timed out; a signal
      // cuts the sleep short
      if (to) hrtimer_sleeper_start_expires(to);
      might_sleep(k, t, "schedule");
      k.hooks.sleep(t, q);
      yield* waitUntil("futex_wait: schedule()", () => q.lock_ptr === null || t.signalPending() || t.wakeup, "interruptible");
      k.hooks.woken(t);
      t.wakeup = false;
      yield "futex_wait: woken";
      if ((yield* k.seams.futexUnqueue(k, t, q)) === 0) return 0;
      if (timed_out(to)) return ETIMEDOUT;
      if (t.signalPending()) return ERESTARTSYS;
    }
  } finally {
    t.frames.pop();
  }
}

/** futex_wake(): wake up to nr waiters of the key; returns how many were woken. */
export function* futex_wake(k: Kernel, t: Task, key: FutexKey, nr: number, bitset = 0xffffffff): KGen<number> {
  t.frames.push("futex_wake");
  try {
    const ref = yield* futex_hash(k, t, key);
    const hb = ref.hb;
    yield "futex_wake: futex_hb_waiters_pending";
    if (!futex_hb_waiters_pending(k, t, hb)) {
      yield* futex_hash_put(k, t, ref);
      return 0;
    }
    yield* futex_hb_lock(k, t, hb);
    let woken = 0;
    let ret = 0;
    for (const q of [...hb.chain]) {
      if (!match_futex(q.key, key)) continue;
      // a PI waiter (futex_lock_pi, futex_wait_requeue_pi) is not for FUTEX_WAKE
      if (q.pi_state || q.rt_waiter) {
        ret = EINVAL;
        break;
      }
      if (!(q.bitset & bitset)) continue;
      futex_wake_mark(k, t, q);
      // as in the kernel, the count is checked after a wake: nr_wake 0 still wakes one
      if (++woken >= nr) break;
    }
    futex_hb_unlock(k, t, hb);
    yield "futex_wake: wake_up_q";
    yield* futex_hash_put(k, t, ref);
    return ret || woken;
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_wait() with a timeout (abs_time): the sleeper is set up before the wait and cancelled
 * after it; an interrupted timed wait is restarted through the restart block
 * (-ERESTART_RESTARTBLOCK: futex_wait_restart with the same expiry) unless a handler runs.
 */
export function* futex_wait_timed(k: Kernel, t: Task, uaddr: number, val: number, shared: boolean, key: FutexKey, expiry: TimerExpiry): KGen<number> {
  const to = futex_setup_timer(t, expiry);
  const ret = yield* futex_wait(k, t, uaddr, val, key, to);
  hrtimer_cancel(t, to);
  if (ret !== ERESTARTSYS) return ret;
  // restart->futex.{uaddr, val, time, bitset, flags | FLAGS_HAS_TIMEOUT}; set_restart_fn()
  t.restartBlock = () => futex_wait_restart(k, t, uaddr, val, shared, expiry);
  return ERESTART_RESTARTBLOCK;
}

/** futex_wait_restart(): the restart block's function: the same wait, the same absolute expiry. */
export function* futex_wait_restart(k: Kernel, t: Task, uaddr: number, val: number, shared: boolean, expiry: TimerExpiry): KGen<number> {
  t.frames.push("futex_wait_restart");
  try {
    yield "futex_wait_restart: restart->fn = do_no_restart_syscall";
    t.restartBlock = null;
    const key = get_futex_key(t, uaddr, shared);
    if (typeof key === "number") return key;
    return yield* futex_wait_timed(k, t, uaddr, val, shared, key, expiry);
  } finally {
    t.frames.pop();
  }
}
