// kernel/locking/rtmutex.c, the parts PI futexes use (the proxy-lock API of rtmutex_api.c): an
// rt_mutex as an owner and a priority-ordered list of waiters. Enough to make ownership, the
// hand-over on unlock and the waiters' wakeups real; no priority inheritance arithmetic (no
// boosting, no chain walk), no lock stealing between equal priorities (STEAL_NORMAL), and the
// only deadlock detected is a task blocking on an rt_mutex it owns.
//
// lock->wait_lock is a spinlock of its own: futex_unlock_pi() holds it from reading the top waiter
// until the hand-over is done, so a leaving waiter's cleanup cannot slip in between. The plain
// functions here are called with it held; the generators take it themselves.
import { EDEADLK, EINTR } from "./errno.js";
import { SpinLock, Wait, spin_lock, spin_unlock, type KGen } from "./sched.js";
import type { Task } from "./task.js";

/** The nice-0 priority of every simulated task (normal_prio 120). */
export const DEFAULT_PRIO = 120;

/** struct rt_mutex_waiter (on the blocked task's stack). */
export class RtMutexWaiter {
  /** the lock it is enqueued on (null: not enqueued) */
  lock: RtMutex | null = null;
  constructor(
    readonly task: Task,
    readonly prio = DEFAULT_PRIO,
  ) {}
}

/** struct rt_mutex_base */
export class RtMutex {
  owner: Task | null = null;
  readonly wait_lock = new SpinLock("pi_mutex.wait_lock");
  /** lock->waiters: the rb tree, as a list ordered by priority (FIFO among equals) */
  readonly waiters: RtMutexWaiter[] = [];
}

/** rt_mutex_top_waiter() (null when the lock has no waiters) */
export function rt_mutex_top_waiter(lock: RtMutex): RtMutexWaiter | null {
  return lock.waiters.length ? lock.waiters[0]! : null;
}

/** rt_mutex_init_proxy_locked(): a new lock, owned by `owner` on its behalf. */
export function rt_mutex_init_proxy_locked(lock: RtMutex, owner: Task): void {
  lock.owner = owner;
}

/** rt_mutex_proxy_unlock(): the owner goes away without handing the lock on (pi_state teardown). */
export function rt_mutex_proxy_unlock(lock: RtMutex): void {
  lock.owner = null;
}

/** rt_mutex_enqueue(): by priority, behind the waiters of the same priority. */
function rt_mutex_enqueue(lock: RtMutex, w: RtMutexWaiter): void {
  let i = lock.waiters.length;
  while (i > 0 && lock.waiters[i - 1]!.prio > w.prio) i--;
  lock.waiters.splice(i, 0, w);
  w.lock = lock;
}

function rt_mutex_dequeue(lock: RtMutex, w: RtMutexWaiter): void {
  const i = lock.waiters.indexOf(w);
  if (i >= 0) lock.waiters.splice(i, 1);
  w.lock = null;
}

/**
 * try_to_take_rt_mutex(): the lock is free and `task` may have it: it has no waiters, or `w` (the
 * task's own enqueued waiter) is the top one, or `task` outranks the top waiter (a steal).
 */
export function try_to_take_rt_mutex(lock: RtMutex, task: Task, w: RtMutexWaiter | null): boolean {
  if (lock.owner !== null) return false;
  const top = rt_mutex_top_waiter(lock);
  if (top && top !== w && !(w === null && DEFAULT_PRIO < top.prio)) return false;
  if (w) rt_mutex_dequeue(lock, w);
  lock.owner = task;
  return true;
}

/** __rt_mutex_futex_trylock() / rt_mutex_futex_trylock() */
export function rt_mutex_futex_trylock(lock: RtMutex, t: Task): boolean {
  return try_to_take_rt_mutex(lock, t, null);
}

/**
 * __rt_mutex_start_proxy_lock(): take the lock for `task` if it can, else enqueue `w` for it.
 * Returns 1 (acquired), 0 (enqueued) or -EDEADLK (task owns the lock already).
 */
export function __rt_mutex_start_proxy_lock(lock: RtMutex, w: RtMutexWaiter, task: Task): number {
  if (try_to_take_rt_mutex(lock, task, null)) return 1;
  if (lock.owner === task) return EDEADLK;
  rt_mutex_enqueue(lock, w);
  return 0;
}

/**
 * __rt_mutex_futex_unlock() (mark_wakeup_next_waiter): the lock becomes free; its top waiter,
 * which stays enqueued until it takes the lock, is woken. Returns true when there is one.
 */
export function __rt_mutex_futex_unlock(lock: RtMutex): boolean {
  lock.owner = null;
  const top = rt_mutex_top_waiter(lock);
  // wake_up_q(): a requeue-PI waiter still sleeps in futex_do_wait and sees this wakeup there
  if (top) top.task.wakeup = true;
  return top !== null;
}

/**
 * rt_mutex_wait_proxy_lock(): sleep (TASK_INTERRUPTIBLE) until `w`'s task takes the lock.
 * Returns 0, or -EINTR when a signal is pending (the waiter stays enqueued: see
 * rt_mutex_cleanup_proxy_lock).
 */
export function* rt_mutex_wait_proxy_lock(t: Task, lock: RtMutex, w: RtMutexWaiter): KGen<number> {
  for (;;) {
    yield* spin_lock(t, lock.wait_lock);
    const got = try_to_take_rt_mutex(lock, t, w);
    spin_unlock(t, lock.wait_lock);
    if (got) return 0;
    if (t.signalPending()) return EINTR;
    yield new Wait("rt_mutex_wait_proxy_lock: schedule()", () => (lock.owner === null && lock.waiters[0] === w) || t.signalPending(), "interruptible");
  }
}

/**
 * rt_mutex_cleanup_proxy_lock() after a failed wait (takes the wait_lock): take the lock if it can
 * now (a woken top waiter takes it even with a signal pending); else dequeue `w`. Returns true
 * when the task did not get the lock (the caller's error stands), false when it owns it after all.
 */
export function* rt_mutex_cleanup_proxy_lock(t: Task, lock: RtMutex, w: RtMutexWaiter): KGen<boolean> {
  yield* spin_lock(t, lock.wait_lock);
  try {
    try_to_take_rt_mutex(lock, t, w);
    if (lock.owner === t) return false;
    rt_mutex_dequeue(lock, w);
    return true;
  } finally {
    spin_unlock(t, lock.wait_lock);
  }
}

/** rt_mutex_start_proxy_lock(): __rt_mutex_start_proxy_lock() under the wait_lock. */
export function* rt_mutex_start_proxy_lock(t: Task, lock: RtMutex, w: RtMutexWaiter, task: Task): KGen<number> {
  yield* spin_lock(t, lock.wait_lock);
  const r = __rt_mutex_start_proxy_lock(lock, w, task);
  spin_unlock(t, lock.wait_lock);
  return r;
}
