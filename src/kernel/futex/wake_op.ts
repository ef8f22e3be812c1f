// kernel/futex/waitwake.c: futex_wake_op() and futex_atomic_op_inuser() (FUTEX_WAKE_OP), with
// arch_futex_atomic_op_inuser()'s x86 semantics: with both buckets locked, atomically apply an
// operation to *uaddr2, wake up to nr_wake waiters of uaddr1, and if the comparison of the old
// value holds, up to nr_wake2 of uaddr2. A fault on uaddr2 under the locks drops them, faults
// the page in (fault_in_user_writeable) and retries, or returns -EFAULT.
import type { Kernel } from "../kernel.js";
import type { KGen } from "../sched.js";
import type { Task } from "../task.js";
import { EFAULT, EINVAL, ENOSYS } from "../errno.js";
import { futex_hash, futex_hash_put, get_futex_key } from "./core.js";
import { futex_wake_mark, match_futex, type FutexHashBucket, type FutexKey } from "./hb.js";
import { double_lock_hb, double_unlock_hb } from "./requeue.js";

// FUTEX_OP_* (include/uapi/linux/futex.h)
export const FUTEX_OP_OPARG_SHIFT = 8;
export const WAKE_OPS = ["set", "add", "or", "andn", "xor", "op5", "op6", "op7"] as const;
export const WAKE_CMPS = ["eq", "ne", "lt", "le", "gt", "ge", "cmp6"] as const;

/** FUTEX_OP(op, oparg, cmp, cmparg): the encoded val3 of FUTEX_WAKE_OP. */
export function futex_op_encode(op: number, shl: boolean, oparg: number, cmp: number, cmparg: number): number {
  return (((((op | (shl ? FUTEX_OP_OPARG_SHIFT : 0)) & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff)) >>> 0);
}

/** sign_extend32(v, 11) */
function sext12(v: number): number {
  return (v << 20) >> 20;
}

/**
 * futex_atomic_op_inuser(encoded_op, uaddr): the op on the user word (x86
 * arch_futex_atomic_op_inuser: -EFAULT when the page is not there, -ENOSYS for an unknown op,
 * nothing written then), then the comparison of the old value (signed ints; an unknown cmp is
 * -ENOSYS after the store). Returns 0/1, or -errno.
 */
export function futex_atomic_op_inuser(k: Kernel, t: Task, encoded: number, uaddr: number): number {
  const op = (encoded >>> 28) & 7;
  const cmp = (encoded >>> 24) & 0xf;
  let oparg = sext12((encoded >>> 12) & 0xfff);
  const cmparg = sext12(encoded & 0xfff);
  if (encoded & (FUTEX_OP_OPARG_SHIFT << 28)) {
    // out of range: pr_info_ratelimited("... uses invalid futex_wake_op oparg"), then & 31
    if (oparg < 0 || oparg > 31) oparg &= 31;
    oparg = (1 << oparg) | 0;
  }
  const as = t.mm?.as;
  const oldval = as?.read(uaddr) ?? null;
  if (!as || oldval === null) return EFAULT; // user_access_begin / the access faults
  let v: number;
  switch (op) {
    case 0:
      v = oparg;
      break;
    case 1:
      v = oldval + oparg;
      break;
    case 2:
      v = oldval | oparg;
      break;
    case 3:
      v = oldval & ~oparg;
      break;
    case 4:
      v = oldval ^ oparg;
      break;
    default:
      return ENOSYS;
  }
  as.write(uaddr, v >>> 0);
  k.hooks.userStore(as, uaddr, v >>> 0);
  const old = oldval | 0;
  switch (cmp) {
    case 0:
      return old === cmparg ? 1 : 0;
    case 1:
      return old !== cmparg ? 1 : 0;
    case 2:
      return old < cmparg ? 1 : 0;
    case 3:
      return old <= cmparg ? 1 : 0;
    case 4:
      return old > cmparg ? 1 : 0;
    case 5:
      return old >= cmparg ? 1 : 0;
    default:
      return ENOSYS;
  }
}

/**
 * Wake up to `nr` waiters of `key` on hb (locked; nr 0 still wakes one). A PI waiter
 * (futex_lock_pi, futex_wait_requeue_pi) among them ends the walk with -EINVAL; the ones marked
 * before it stay woken (they are on the wake_q already).
 */
function wake_matching(k: Kernel, t: Task, hb: FutexHashBucket, key: FutexKey, nr: number): number {
  let woken = 0;
  for (const q of [...hb.chain]) {
    if (!match_futex(q.key, key)) continue;
    if (q.pi_state || q.rt_waiter) return EINVAL;
    futex_wake_mark(k, t, q);
    if (++woken >= nr) break;
  }
  return woken;
}

/**
 * futex_wake_op(uaddr1, flags, uaddr2, nr_wake, nr_wake2, op): returns the number woken, or
 * -EINVAL / -EFAULT / -ENOSYS. The keys are taken once per retry (for a private futex the retry
 * keeps them: retry_private).
 */
export function* futex_wake_op(k: Kernel, t: Task, uaddr1: number, uaddr2: number, shared: boolean, nr_wake: number, nr_wake2: number, op: number): KGen<number> {
  t.frames.push("futex_wake_op");
  try {
    let key1: FutexKey | number = 0;
    let key2: FutexKey | number = 0;
    for (let retry = true; ; ) {
      if (retry) {
        yield "futex_wake_op: get_futex_key(uaddr1), get_futex_key(uaddr2)";
        key1 = get_futex_key(t, uaddr1, shared);
        if (typeof key1 === "number") return key1;
        key2 = get_futex_key(t, uaddr2, shared);
        if (typeof key2 === "number") return key2;
      }
      if (typeof key1 === "number" || typeof key2 === "number") return EFAULT;
      // retry_private: CLASS(hb, hb1)(&key1); CLASS(hb, hb2)(&key2);
      const ref1 = yield* futex_hash(k, t, key1);
      const ref2 = yield* futex_hash(k, t, key2);
      yield* double_lock_hb(k, t, ref1.hb, ref2.hb);
      yield "futex_wake_op: futex_atomic_op_inuser(op, uaddr2)";
      const op_ret = futex_atomic_op_inuser(k, t, op, uaddr2);
      if (op_ret < 0) {
        double_unlock_hb(k, t, ref1.hb, ref2.hb);
        yield* futex_hash_put(k, t, ref2);
        yield* futex_hash_put(k, t, ref1);
        if (op_ret !== EFAULT) return op_ret;
        yield "futex_wake_op: fault_in_user_writeable(uaddr2)";
        const as = t.mm?.as;
        if (!as || as.read(uaddr2) === null) return EFAULT;
        yield "futex_wake_op: cond_resched";
        retry = shared;
        continue;
      }
      let ret = wake_matching(k, t, ref1.hb, key1, nr_wake);
      if (ret >= 0 && op_ret > 0) {
        const ret2 = wake_matching(k, t, ref2.hb, key2, nr_wake2);
        ret = ret2 < 0 ? ret2 : ret + ret2;
      }
      double_unlock_hb(k, t, ref1.hb, ref2.hb);
      yield* futex_hash_put(k, t, ref2);
      yield* futex_hash_put(k, t, ref1);
      yield "futex_wake_op: wake_up_q";
      return ret;
    }
  } finally {
    t.frames.pop();
  }
}
