// kernel/futex/requeue.c: FUTEX_REQUEUE / FUTEX_CMP_REQUEUE (non-PI). Wake up to nr_wake
// waiters of uaddr1 and move up to nr_requeue more onto uaddr2's bucket. Both buckets come from
// the same mm's hash (sys_futex uses one flags value for both addresses), and the caller holds a
// reference on it for each, so no pivot can happen while waiters are moved.
import type { Kernel } from "../kernel.js";
import type { KGen } from "../sched.js";
import type { Task } from "../task.js";
import { EAGAIN, EFAULT, EINVAL } from "../errno.js";
import { futex_hash, futex_hash_put, get_futex_key } from "./core.js";
import { futex_hb_check, futex_hb_lock, futex_hb_unlock, futex_hb_waiters_dec, futex_hb_waiters_inc, futex_wake_mark, match_futex, type FutexHashBucket, type FutexKey, type FutexQ } from "./hb.js";
import { futex_get_value } from "./waitwake.js";
import { get_futex_key_flags } from "./numa.js";

/** double_lock_hb(): lower address first; one lock if both keys share a bucket. */
export function* double_lock_hb(k: Kernel, t: Task, hb1: FutexHashBucket, hb2: FutexHashBucket): KGen {
  const [a, b] = hb1.addr <= hb2.addr ? [hb1, hb2] : [hb2, hb1];
  yield* futex_hb_lock(k, t, a);
  if (a !== b) yield* futex_hb_lock(k, t, b); // spin_lock_nested
}

/** double_unlock_hb() */
export function double_unlock_hb(k: Kernel, t: Task, hb1: FutexHashBucket, hb2: FutexHashBucket): void {
  futex_hb_unlock(k, t, hb1);
  if (hb1 !== hb2) futex_hb_unlock(k, t, hb2);
}

/** requeue_futex(): move q from hb1 to hb2 (both locked) and give it key2. */
function requeue_futex(k: Kernel, t: Task, q: FutexQ, hb1: FutexHashBucket, hb2: FutexHashBucket, key2: FutexKey): void {
  if (hb1 !== hb2) {
    futex_hb_check(k, t, hb1, "plist_del(&q->list, &hb1->chain)");
    hb1.chain.splice(hb1.chain.indexOf(q), 1);
    futex_hb_waiters_dec(k, t, hb1);
    futex_hb_waiters_inc(k, t, hb2);
    hb2.chain.push(q);
    q.lock_ptr = hb2;
  }
  q.key = key2;
}

/**
 * futex_requeue(uaddr1, uaddr2, nr_wake, nr_requeue, cmpval): returns woken + requeued,
 * -EAGAIN when cmpval is given and *uaddr1 differs, -EINVAL, -EFAULT. uaddr1 == uaddr2 is only
 * rejected for requeue-PI; here it is a (harmless) requeue onto the same bucket.
 */
export function* futex_requeue(
  k: Kernel,
  t: Task,
  uaddr1: number,
  uaddr2: number,
  shared: boolean,
  nr_wake: number,
  nr_requeue: number,
  cmpval: number | null,
  /** sys_futex_requeue (futex2): each address's own FLAGS_* (then `shared` is unused) */
  flags: readonly [number, number] | null = null,
): KGen<number> {
  t.frames.push("futex_requeue");
  try {
    if (nr_wake < 0 || nr_requeue < 0) return EINVAL;
    yield "futex_requeue: get_futex_key(uaddr1), get_futex_key(uaddr2)";
    const key1 = flags ? get_futex_key_flags(k, t, uaddr1, flags[0]) : get_futex_key(t, uaddr1, shared);
    if (typeof key1 === "number") return key1;
    const key2 = flags ? get_futex_key_flags(k, t, uaddr2, flags[1]) : get_futex_key(t, uaddr2, shared);
    if (typeof key2 === "number") return key2;

    const ref1 = yield* futex_hash(k, t, key1);
    const ref2 = yield* futex_hash(k, t, key2);
    const hb1 = ref1.hb;
    const hb2 = ref2.hb;
    yield "futex_requeue: futex_hb_waiters_inc(hb2)";
    futex_hb_waiters_inc(k, t, hb2);
    yield* double_lock_hb(k, t, hb1, hb2);

    let ret = 0;
    let task_count = 0;
    let cmpFailed = false;
    if (cmpval !== null) {
      yield "futex_requeue: futex_get_value_locked(uaddr1)";
      const curval = futex_get_value(t, uaddr1);
      if (curval === null) ret = EFAULT; // the get_user() retry faults as well
      else if (curval !== cmpval >>> 0) ret = EAGAIN;
      cmpFailed = ret !== 0;
    }
    if (!cmpFailed) {
      for (const q of [...hb1.chain]) {
        if (task_count - nr_wake >= nr_requeue) break;
        if (!match_futex(q.key, key1)) continue;
        yield "futex_requeue: wake or requeue one waiter";
        if (++task_count <= nr_wake) futex_wake_mark(k, t, q);
        else requeue_futex(k, t, q, hb1, hb2, key2);
      }
    }
    // out_unlock:
    futex_hb_waiters_dec(k, t, hb2);
    double_unlock_hb(k, t, hb1, hb2);
    // the CLASS(hbr) destructors, in reverse order of declaration
    yield* futex_hash_put(k, t, ref2);
    yield* futex_hash_put(k, t, ref1);
    yield "futex_requeue: wake_up_q";
    return ret ? ret : task_count;
  } finally {
    t.frames.pop();
  }
}
