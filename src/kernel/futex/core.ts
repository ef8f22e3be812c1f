// kernel/futex/core.c: futex keys, hash buckets, the global hash, futex_q queueing, and
// futex_hash(): the bucket of a key, in the mm's private hash when it has one (private.ts,
// ref.ts, resize.ts) or in the global hash.
import type { KObj } from "../alloc.js";
import type { Kernel } from "../kernel.js";
import type { Mm } from "../mm.js";
import { SpinLock, frame, spin_lock, spin_unlock, type KGen, type LockOwner } from "../sched.js";
import type { Task } from "../task.js";
import { fph_bucket, futex_private_hash_get, type FutexPrivateHash } from "./private.js";
import { futex_pivot_hash } from "./resize.js";

export const EINVAL = -22;
export const EFAULT = -14;
export const EAGAIN = -11;
export const EINTR = -4;
export const EBUSY = -16;
export const ENOMEM = -12;
export const ENOSYS = -38;
export const ESRCH = -3;

/**
 * union futex_key. `private`: PROCESS_PRIVATE ops (mm, address). `mmshared`: a shared op on an
 * anonymous private page (mm, address, FUT_OFF_MMSHARED). `inode`: a shared op on a file page.
 */
export type FutexKey =
  | { type: "private"; mm: Mm; addr: number }
  | { type: "mmshared"; mm: Mm; addr: number }
  | { type: "inode"; file: number; off: number };

export function match_futex(a: FutexKey, b: FutexKey): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "inode") return b.type === "inode" && a.file === b.file && a.off === b.off;
  return (b as { mm: Mm }).mm === a.mm && (b as { addr: number }).addr === a.addr;
}

export function keyText(key: FutexKey): string {
  return key.type === "inode" ? `f${key.file}+${key.off}` : `${key.type}:mm${key.mm.id}@${key.addr.toString(16)}`;
}

/** A deterministic stand-in for jhash2 over the key words. */
export function futex_key_hash(key: FutexKey): number {
  const words = key.type === "inode" ? [3, key.file, key.off] : [key.type === "private" ? 1 : 2, key.mm.id, key.addr];
  let h = 0x9e3779b9;
  for (const w of words) {
    h = Math.imul(h ^ w, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}

/** The private-hash index: jhash2({address}, offset) & hash_mask. The mm is not an input. */
export function futex_private_key_hash(addr: number): number {
  let h = 0x7f4a7c15 ^ Math.floor(addr / 4096);
  h = Math.imul(h ^ (addr % 4096), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, 0x27d4eb2f) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/** struct futex_q (it lives on the waiter's stack). */
export class FutexQ {
  /** the bucket lock this q is queued under; null once woken (futex_wake_mark) */
  lock_ptr: FutexHashBucket | null = null;
  constructor(
    readonly task: Task,
    public key: FutexKey,
    readonly bitset = 0xffffffff,
  ) {}
}

/** The object a private bucket belongs to (its struct futex_private_hash). */
export type FutexBucketOwner = KObj;

/** struct futex_hash_bucket. `owner` is the private hash holding it (null: the global hash). */
export class FutexHashBucket {
  readonly lock: SpinLock;
  readonly chain: FutexQ[] = [];
  /** atomic waiters: counted before the lock is taken, so a waker may skip an empty bucket */
  waiters = 0;
  /** a stand-in for the bucket's address (double_lock_hb orders by it) */
  readonly addr: number;
  constructor(
    readonly index: number,
    readonly owner: FutexBucketOwner | null,
  ) {
    this.lock = new SpinLock(`hb${owner ? `@fph#${owner.hid}` : ""}[${index}]`);
    this.addr = (owner ? owner.hid : 0) * 2 ** 32 + index;
  }
}

/** The global futex hash: roundup_pow_of_two(256 * CPUs) buckets, created on first use. */
export class GlobalHash {
  readonly mask: number;
  private readonly buckets = new Map<number, FutexHashBucket>();
  constructor(cpus: number) {
    let n = 1;
    while (n < 256 * cpus) n <<= 1;
    this.mask = n - 1;
  }
  bucket(key: FutexKey): FutexHashBucket {
    const i = futex_key_hash(key) & this.mask;
    let hb = this.buckets.get(i);
    if (!hb) this.buckets.set(i, (hb = new FutexHashBucket(i, null)));
    return hb;
  }
  get size(): number {
    return this.mask + 1;
  }
}

/** KASAN: every touch of a private bucket is an access of its hash's memory. */
export function futex_hb_check(k: Kernel, ctx: LockOwner, hb: FutexHashBucket, access: string): void {
  if (hb.owner) k.heap.check(hb.owner, access, k.site(ctx));
}

/** futex_hb_waiters_inc() */
export function futex_hb_waiters_inc(k: Kernel, ctx: LockOwner, hb: FutexHashBucket): void {
  futex_hb_check(k, ctx, hb, "futex_hb_waiters_inc");
  hb.waiters++;
}

/** futex_hb_waiters_dec() */
export function futex_hb_waiters_dec(k: Kernel, ctx: LockOwner, hb: FutexHashBucket): void {
  futex_hb_check(k, ctx, hb, "futex_hb_waiters_dec");
  hb.waiters--;
  if (hb.waiters < 0) k.report("refcount", `futex: hb->waiters underflow in ${ctx.frames[ctx.frames.length - 1] ?? "futex"}`, ctx);
}

/** futex_hb_waiters_pending() */
export function futex_hb_waiters_pending(k: Kernel, ctx: LockOwner, hb: FutexHashBucket): boolean {
  futex_hb_check(k, ctx, hb, "futex_hb_waiters_pending");
  return hb.waiters > 0;
}

/** spin_lock(&hb->lock) */
export function* futex_hb_lock(k: Kernel, ctx: LockOwner, hb: FutexHashBucket): KGen {
  futex_hb_check(k, ctx, hb, "spin_lock(&hb->lock)");
  yield* spin_lock(ctx, hb.lock);
  futex_hb_check(k, ctx, hb, "spin_lock(&hb->lock)");
}

/** spin_unlock(&hb->lock) */
export function futex_hb_unlock(k: Kernel, ctx: LockOwner, hb: FutexHashBucket): void {
  futex_hb_check(k, ctx, hb, "spin_unlock(&hb->lock)");
  spin_unlock(ctx, hb.lock);
}

/** struct futex_bucket_ref [2026]: a bucket and the private hash it holds a reference on. */
export interface HashRef {
  hb: FutexHashBucket;
  /** null: a global bucket, no reference held */
  fph: FutexPrivateHash | null;
}

/**
 * __futex_hash(key, fph): a private key uses `fph` (or, when null, the mm's current hash) if
 * that hash has buckets; everything else uses the global hash. Caller is in an RCU section.
 */
export function __futex_hash(k: Kernel, ctx: LockOwner, key: FutexKey, fph: FutexPrivateHash | null): HashRef {
  if (key.type === "private") {
    if (!fph) {
      k.heap.check(key.mm, "rcu_dereference(mm->futex.phash.hash)", k.site(ctx));
      fph = key.mm.futex.hash;
    }
    if (fph) {
      k.heap.check(fph, "fph->hash_mask", k.site(ctx));
      if (fph.hash_mask) {
        const i = futex_private_key_hash(key.addr) & fph.hash_mask;
        return { hb: fph_bucket(k, ctx, fph, i, "&fph->queues[hash & hash_mask]"), fph };
      }
    }
  }
  return { hb: k.global.bucket(key), fph: null };
}

/**
 * futex_hash(key) [2026]: the bucket for a key, holding a reference on its private hash. If the
 * hash is dead (a replacement is pending), perform the pivot under the mutex and try again.
 */
export function* futex_hash(k: Kernel, t: Task, key: FutexKey): KGen<HashRef> {
  return yield* frame(t, "futex_hash", (function* () {
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
  })());
}

/** futex_hash_get() (v6.16-6.19): an extra reference; the caller must already hold one. */
export function* futex_hash_get(k: Kernel, t: Task, ref: HashRef): KGen {
  if (!ref.fph) return;
  const ok = yield* futex_private_hash_get(k, t, ref.fph);
  k.warnOn(!ok, "futex_hash_get: extra reference failed although one is held", t);
}

/** futex_hash_put(): drop the reference futex_hash() took (the CLASS(hbr) destructor). */
export function* futex_hash_put(k: Kernel, t: Task, ref: HashRef): KGen {
  yield* k.seams.futexPrivateHashPut(k, t, ref.fph);
}

/**
 * The bucket a waker's futex_hash(key) reaches now, without taking a reference (sanitizers).
 * That is the bucket in the mm's published hash, also when that hash is dead with a replacement
 * pending: the waker's failed get performs the pivot first, and the rehash moves every waiter
 * queued in the bucket of its key in the old hash to the bucket of its key in the new one. So a
 * waiter is reachable iff it is queued on the bucket returned here.
 */
export function futex_hash_peek(k: Kernel, key: FutexKey): FutexHashBucket {
  if (key.type === "private") {
    const fph = key.mm.futex.hash;
    if (fph && fph.hash_mask) return fph.bucketAt(futex_private_key_hash(key.addr) & fph.hash_mask);
  }
  return k.global.bucket(key);
}

/** __futex_queue(): add q to hb (caller holds hb->lock; q->lock_ptr already points at it). */
export function __futex_queue(q: FutexQ, hb: FutexHashBucket): void {
  q.lock_ptr = hb;
  hb.chain.push(q);
}

/** __futex_unqueue(): remove q from its bucket (caller holds q->lock_ptr). */
export function __futex_unqueue(k: Kernel, ctx: LockOwner, q: FutexQ): void {
  const hb = q.lock_ptr;
  if (!hb) return k.warnOn(true, "__futex_unqueue: q->lock_ptr is NULL", ctx);
  futex_hb_check(k, ctx, hb, "plist_del(&q->list, &hb->chain)");
  const i = hb.chain.indexOf(q);
  if (i < 0) return k.warnOn(true, "__futex_unqueue: q is not on its bucket's list", ctx);
  hb.chain.splice(i, 1);
  futex_hb_waiters_dec(k, ctx, hb);
}

/** futex_wake_mark(): unqueue a waiter and let it go (lock_ptr = NULL is the release). */
export function futex_wake_mark(k: Kernel, ctx: LockOwner, q: FutexQ): void {
  __futex_unqueue(k, ctx, q);
  q.lock_ptr = null;
}

/** The futexUnqueue seam: 1 if q was still queued (not woken), 0 if a waker got there first. */
export type FutexUnqueue = (k: Kernel, t: Task, q: FutexQ) => KGen<number>;

/**
 * futex_unqueue(): take q off its bucket if still queued. No hash reference is held: RCU keeps a
 * replaced hash's memory alive, and q->lock_ptr, re-checked under the lock, follows requeue and
 * rehash. Returns 1 if it was still queued (not woken), 0 if a waker got there first.
 */
export function* futex_unqueue(k: Kernel, t: Task, q: FutexQ): KGen<number> {
  return yield* frame(t, "futex_unqueue", (function* () {
    k.rcu.read_lock(t);
    try {
      return yield* unqueue_locked_retry(k, t, q);
    } finally {
      k.rcu.read_unlock(t);
    }
  })());
}

/**
 * futex_unqueue() as it was before the private hash (the global table is never freed, so
 * nothing pinned the bucket between reading q->lock_ptr and locking it). tglx's review of the
 * resizable hash (2024-12-11) noted that with a replaceable table this must run under RCU: a
 * rehash can move q and the old table can be freed after a grace period in that window.
 */
export function* futex_unqueue_pre_private_hash(k: Kernel, t: Task, q: FutexQ): KGen<number> {
  return yield* frame(t, "futex_unqueue", unqueue_locked_retry(k, t, q));
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
