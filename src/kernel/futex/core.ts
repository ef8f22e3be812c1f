// kernel/futex/core.c: futex_hash(), the bucket of a key with a reference on its private hash
// (pivoting to a pending replacement when the hash is dead), the private-hash get/put around
// it, unqueueing through q->lock_ptr, and get_futex_key(). Keys, buckets and queueing are in
// hb.ts; the private hash's structures in private.ts, its reference count in ref.ts, replacing
// it in resize.ts.
import type { Kernel } from "../kernel.js";
import type { Mm } from "../mm.js";
import type { KGen } from "../sched.js";
import type { Task } from "../task.js";
import { wake_up_var } from "../waitvar.js";
import { EFAULT, EINVAL } from "../errno.js";
import { __futex_unqueue, futex_hb_lock, futex_hb_unlock, futex_private_key_hash, type FutexHashBucket, type FutexKey, type FutexQ } from "./hb.js";
import { __futex_hash, type FutexPrivateHash, type HashRef } from "./private.js";
import { futex_ref_get, futex_ref_put } from "./ref.js";
import { futex_pivot_hash } from "./resize.js";

/**
 * futex_hash(key) [2026]: the bucket for a key, holding a reference on its private hash. If the
 * hash is dead (a replacement is pending), perform the pivot under the mutex and try again.
 */
export function* futex_hash(k: Kernel, t: Task, key: FutexKey): KGen<HashRef> {
  t.frames.push("futex_hash");
  try {
    for (;;) {
      yield "futex_hash: rcu_read_lock";
      k.rcu.read_lock(t);
      yield "futex_hash: rcu_dereference(mm->futex.phash.hash)";
      const ref = __futex_hash(k, t, key, null);
      if (!ref.fph || (yield* futex_private_hash_get(k, t, ref.fph))) {
        k.rcu.read_unlock(t);
        return ref;
      }
      k.rcu.read_unlock(t);
      yield* futex_pivot_hash(k, t, (key as { mm: Mm }).mm);
    }
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_hash_put(): drop the reference futex_hash() took (the CLASS(hbr) destructor). It is the
 * seam's generator itself (no frame of its own: no second generator per put).
 */
export function futex_hash_put(k: Kernel, t: Task, ref: HashRef): KGen {
  return k.seams.futexPrivateHashPut(k, t, ref.fph);
}

/**
 * The bucket a waker's futex_hash(key) reaches now, without taking a reference (sanitizers).
 * That is the bucket in the mm's published hash, also when that hash is dead with a replacement
 * pending: the waker's failed get performs the pivot first, and the rehash moves every waiter
 * queued in the bucket of its key in the old hash to the bucket of its key in the new one. So a
 * waiter is reachable iff it is queued on the bucket returned here.
 */
export function futex_hash_peek(k: Kernel, key: FutexKey): FutexHashBucket {
  if (key.type === "private" && key.node === undefined) {
    const fph = key.mm.futex.hash;
    if (fph && fph.hash_mask) return fph.bucketAt(futex_private_key_hash(key.addr) & fph.hash_mask);
  }
  return k.global.bucket(key);
}

/** The futexUnqueue seam: 1 if q was still queued (not woken), 0 if a waker got there first. */
export type FutexUnqueue = (k: Kernel, t: Task, q: FutexQ) => KGen<number>;

/**
 * futex_unqueue(): take q off its bucket if still queued. No hash reference is held: RCU keeps a
 * replaced hash's memory alive, and q->lock_ptr, re-checked under the lock, follows requeue and
 * rehash. Returns 1 if it was still queued (not woken), 0 if a waker got there first.
 */
export function* futex_unqueue(k: Kernel, t: Task, q: FutexQ): KGen<number> {
  t.frames.push("futex_unqueue");
  try {
    k.rcu.read_lock(t);
    try {
      return yield* unqueue_locked_retry(k, t, q);
    } finally {
      k.rcu.read_unlock(t);
    }
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_unqueue() as it was before the private hash (the global table is never freed, so
 * nothing pinned the bucket between reading q->lock_ptr and locking it). tglx's review of the
 * resizable hash (2024-12-11) noted that with a replaceable table this must run under RCU: a
 * rehash can move q and the old table can be freed after a grace period in that window.
 */
export function* futex_unqueue_pre_private_hash(k: Kernel, t: Task, q: FutexQ): KGen<number> {
  t.frames.push("futex_unqueue");
  try {
    return yield* unqueue_locked_retry(k, t, q);
  } finally {
    t.frames.pop();
  }
}

/** The body both versions share: read lock_ptr, lock it, re-check, follow a requeue/rehash. */
function* unqueue_locked_retry(k: Kernel, t: Task, q: FutexQ): KGen<number> {
  for (;;) {
    yield "futex_unqueue: READ_ONCE(q->lock_ptr)";
    const lock_ptr = q.lock_ptr;
    if (lock_ptr === null) return 0;
    yield* futex_hb_lock(k, t, lock_ptr);
    if (lock_ptr === q.lock_ptr) {
      __futex_unqueue(k, t, q);
      futex_hb_unlock(k, t, lock_ptr);
      return 1;
    }
    // requeued or rehashed while we took the lock: follow it
    futex_hb_unlock(k, t, lock_ptr);
  }
}

/** get_futex_key(): the key of a user address, or -EINVAL (misaligned) / -EFAULT (unmapped). */
export function get_futex_key(t: Task, uaddr: number, shared: boolean): FutexKey | number {
  if (uaddr % 4 !== 0) return EINVAL;
  const mm = t.mm;
  if (!mm) return EFAULT;
  // a private key is (mm, address) after access_ok() only: no page lookup, so it is built for
  // an unmapped address too (a wake there finds the waiters; a wait faults reading the word)
  if (!shared) return { type: "private", mm, addr: uaddr };
  const l = mm.as.lookup(uaddr);
  if (!l) return EFAULT;
  if (l.map.file !== null) return { type: "inode", file: l.map.file, off: uaddr % 4096 };
  return { type: "mmshared", mm, addr: uaddr };
}

/** futex_private_hash_get(): futex_ref_get(). */
export function* futex_private_hash_get(k: Kernel, t: Task, fph: FutexPrivateHash): KGen<boolean> {
  const ok = yield* futex_ref_get(k, t, fph);
  if (ok) k.hooks.fphGet(t);
  return ok;
}

/** The futexPrivateHashPut seam. */
export type FutexPrivateHashPut = (k: Kernel, t: Task, fph: FutexPrivateHash | null) => KGen;

/**
 * futex_private_hash_put() [2026, 1c7efabfbaf7]: read fph->mm BEFORE dropping the reference;
 * once dropped, the hash may be pivoted and freed before the wake_up_var().
 */
export function* futex_private_hash_put(k: Kernel, t: Task, fph: FutexPrivateHash | null): KGen {
  if (!fph) return;
  t.frames.push("futex_private_hash_put");
  try {
    k.hooks.access(fph, "read fph->mm", t);
    const mm = fph.mm;
    k.hooks.fphPut(t);
    if (yield* futex_ref_put(k, t, fph)) {
      yield "futex_private_hash_put: wake_up_var(mm)";
      k.hooks.access(mm, "wake_up_var(mm)", t);
      wake_up_var(k, mm);
    }
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_private_hash_put() before 1c7efabfbaf7 "futex: Avoid private hash use-after-free on final
 * put": `if (futex_ref_put(fph)) wake_up_var(fph->mm)`. After the final put the task is
 * preemptible again; the dead hash can be pivoted away and freed (kvfree_rcu, one grace period)
 * before it reads fph->mm.
 */
export function* futex_private_hash_put_pre_1c7efabfbaf7(k: Kernel, t: Task, fph: FutexPrivateHash | null): KGen {
  if (!fph) return;
  t.frames.push("futex_private_hash_put");
  try {
    k.hooks.fphPut(t);
    if (yield* futex_ref_put(k, t, fph)) {
      yield "futex_private_hash_put: wake_up_var(fph->mm)";
      k.hooks.access(fph, "read fph->mm", t);
      const mm = fph.mm;
      k.hooks.access(mm, "wake_up_var(mm)", t);
      wake_up_var(k, mm);
    }
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_private_hash(mm) [2026]: pin mm's private hash (guard(private_hash)); null when there
 * is none. Unlike futex_hash(), it also takes a (meaningless) reference on the 0-slot hash.
 */
export function* futex_private_hash(k: Kernel, t: Task, mm: Mm): KGen<FutexPrivateHash | null> {
  t.frames.push("futex_private_hash");
  try {
    for (;;) {
      yield "futex_private_hash: rcu_read_lock";
      k.rcu.read_lock(t);
      k.hooks.access(mm, "rcu_dereference(mm->futex.phash.hash)", t);
      const fph = mm.futex.hash;
      if (!fph) {
        k.rcu.read_unlock(t);
        return null;
      }
      const ok = yield* futex_private_hash_get(k, t, fph);
      k.rcu.read_unlock(t);
      if (ok) return fph;
      yield* futex_pivot_hash(k, t, mm);
    }
  } finally {
    t.frames.pop();
  }
}
