// kernel/futex/waitwake.c and syscalls.c: futex_waitv(2). Wait on up to FUTEX_WAITV_MAX futexes
// at once: futex_wait_multiple_setup() takes every key first, then queues on each bucket in turn
// (holding each bucket lock only while its futex is queued), with a reference on the private
// hash held across all of them (guard(private_hash)) so that no rehash can move the futexes
// queued so far; futex_unqueue_multiple() takes them all off again and says which was woken.
import { KObj } from "../alloc.js";
import type { Kernel } from "../kernel.js";
import { waitUntil, type KGen } from "../sched.js";
import type { Task } from "../task.js";
import { EAGAIN, EFAULT, EINTR, EINVAL, ENOMEM } from "../errno.js";
import { futex_hash, futex_hash_put, futex_private_hash } from "./core.js";
import { FutexQ, __futex_queue, futex_hb_lock, futex_hb_unlock, futex_hb_waiters_dec, futex_hb_waiters_inc, type FutexKey } from "./hb.js";
import { FLAGS_SHARED, FUTEX_WAITV_MAX, get_futex_key_flags } from "./numa.js";
import { futex_parse_waitv, type WaitvEntry } from "./futex2.js";
import { futex_get_value } from "./waitwake.js";

/** struct futex_vector: the user's entry and its futex_q (kcalloc'ed by sys_futex_waitv). */
interface FutexVector {
  w: WaitvEntry;
  q: FutexQ | null;
  key: FutexKey | null;
}

/** sizeof(struct futex_vector) on x86_64 */
const FUTEX_VECTOR_SIZE = 128;

/**
 * futex_unqueue_multiple(vs, count): unqueue the first `count`; the index of the last one a
 * waker had already taken off (woken), or -1.
 */
function* futex_unqueue_multiple(k: Kernel, t: Task, vs: readonly FutexVector[], count: number): KGen<number> {
  let ret = -1;
  for (let i = 0; i < count; i++) if ((yield* k.seams.futexUnqueue(k, t, vs[i]!.q!)) === 0) ret = i;
  return ret;
}

/**
 * futex_wait_multiple_setup(): 0 when every futex is queued; { woken } when one was woken while
 * the later ones were set up; -EAGAIN when a word differs, -EFAULT, -EINVAL.
 */
function* futex_wait_multiple_setup(k: Kernel, t: Task, vs: FutexVector[]): KGen<number | { woken: number }> {
  t.frames.push("futex_wait_multiple_setup");
  try {
    // guard(private_hash)(): pin the private hash; no rehash while the futexes are queued one by one
    const fph = t.mm ? yield* futex_private_hash(k, t, t.mm) : null;
    const ret = yield* queue_all(k, t, vs);
    if (fph) yield* k.seams.futexPrivateHashPut(k, t, fph);
    return ret;
  } finally {
    t.frames.pop();
  }
}

/** The body of futex_wait_multiple_setup() under its guard. */
function* queue_all(k: Kernel, t: Task, vs: FutexVector[]): KGen<number | { woken: number }> {
  let retry = false;
  for (;;) {
    for (const v of vs) {
      // a private key does not change: it is not taken again on a retry
      if (!(v.w.flags & FLAGS_SHARED) && retry) continue;
      yield "futex_wait_multiple_setup: get_futex_key";
      const key = get_futex_key_flags(k, t, v.w.uaddr, v.w.flags);
      if (typeof key === "number") return key;
      v.key = key;
    }
    // set_current_state(TASK_INTERRUPTIBLE|TASK_FREEZABLE)
    t.wakeup = false;
    let fault = false;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i]!;
      const q = (v.q = new FutexQ(t, v.key!));
      const ref = yield* futex_hash(k, t, q.key);
      const hb = ref.hb;
      // futex_q_lock()
      yield "futex_wait_multiple_setup: futex_q_lock: futex_hb_waiters_inc";
      futex_hb_waiters_inc(k, t, hb);
      q.lock_ptr = hb;
      yield* futex_hb_lock(k, t, hb);
      yield "futex_wait_multiple_setup: futex_get_value_locked";
      const uval = futex_get_value(t, v.w.uaddr);
      if (uval !== null && uval === v.w.val >>> 0) {
        __futex_queue(q, hb);
        futex_hb_unlock(k, t, hb);
        yield* futex_hash_put(k, t, ref);
        continue;
      }
      // futex_q_unlock()
      q.lock_ptr = null;
      futex_hb_waiters_dec(k, t, hb);
      futex_hb_unlock(k, t, hb);
      yield* futex_hash_put(k, t, ref);
      // __set_current_state(TASK_RUNNING); a futex woken meanwhile wins over any error
      const woken = yield* futex_unqueue_multiple(k, t, vs, i);
      if (woken >= 0) return { woken };
      if (uval === null) {
        // get_user(uval, uaddr) without locks and with nothing queued: fault it in, retry
        yield "futex_wait_multiple_setup: get_user(uval, uaddr)";
        if (futex_get_value(t, v.w.uaddr) === null) return EFAULT;
        fault = true;
        break;
      }
      return EAGAIN;
    }
    if (!fault) return 0;
    retry = true;
  }
}

/**
 * futex_wait_multiple(): set up, sleep until one futex is woken (or a signal), unqueue all.
 * Returns the index of a woken futex, -EAGAIN, -EFAULT, -EINVAL, -EINTR (the caught signal's
 * -ERESTARTSYS without SA_RESTART).
 */
function* futex_wait_multiple(k: Kernel, t: Task, vs: FutexVector[]): KGen<number> {
  t.frames.push("futex_wait_multiple");
  try {
    for (;;) {
      const r = yield* futex_wait_multiple_setup(k, t, vs);
      if (typeof r === "object") return r.woken;
      if (r !== 0) return r;
      const qs = vs.map((v) => v.q!);
      // futex_sleep_multiple(): schedule() unless one is already woken
      // TODO(timeouts): `to && !to->task` ends the sleep (-ETIMEDOUT), the lifecycle helper's timeout event
      k.hooks.sleep(t, qs[0]!, ...qs.slice(1));
      yield* waitUntil("futex_wait_multiple: schedule()", () => qs.some((q) => q.lock_ptr === null) || t.signalPending() || t.wakeup, "interruptible");
      k.hooks.woken(t);
      t.wakeup = false;
      yield "futex_wait_multiple: woken";
      const ret = yield* futex_unqueue_multiple(k, t, vs, vs.length);
      if (ret >= 0) return ret;
      if (t.signalPending()) return EINTR;
      // spurious wakeup: set up again
    }
  } finally {
    t.frames.pop();
  }
}

/**
 * sys_futex_waitv(waiters, nr_futexes, flags = 0, timeout = NULL, clockid): nr 0 or above
 * FUTEX_WAITV_MAX is -EINVAL, the vector is kcalloc'ed (-ENOMEM), each entry's flags checked.
 */
export function* sys_futex_waitv(k: Kernel, t: Task, entries: readonly WaitvEntry[]): KGen<number> {
  t.frames.push("sys_futex_waitv");
  try {
    const nr = entries.length;
    if (!nr || nr > FUTEX_WAITV_MAX) return EINVAL;
    yield "sys_futex_waitv: kcalloc(nr_futexes, sizeof(*futexv))";
    const futexv = k.heap.alloc(new KObj("struct futex_vector[]", nr * FUTEX_VECTOR_SIZE), t);
    if (!futexv) return ENOMEM;
    const ws = futex_parse_waitv(entries, nr);
    const ret = typeof ws === "number" ? ws : yield* futex_wait_multiple(k, t, ws.map((w) => ({ w, q: null, key: null })));
    k.heap.free(futexv, t); // kfree(futexv)
    return ret;
  } finally {
    t.frames.pop();
  }
}
