// kernel/futex/core.c: futex keys, hash buckets, the global hash, futex_q queueing.
// The private hash (futex_private_hash, futex-ref, resize) plugs in at futex_hash()/futex_hash_put().
import type { Kernel } from "../kernel.js";
import type { Mm } from "../mm.js";
import { SpinLock, frame, spin_lock, spin_unlock, type KGen } from "../sched.js";
import type { Task } from "../task.js";

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

/** struct futex_q */
export class FutexQ {
  /** the bucket lock this q is queued under; null once woken (futex_wake_mark) */
  lock_ptr: FutexHashBucket | null = null;
  constructor(
    readonly task: Task,
    public key: FutexKey,
    readonly bitset = 0xffffffff,
  ) {}
}

/** struct futex_hash_bucket. `owner` points back at the private hash it belongs to (null: global). */
export class FutexHashBucket {
  readonly lock: SpinLock;
  readonly chain: FutexQ[] = [];
  constructor(
    readonly index: number,
    readonly owner: FutexBucketOwner | null,
  ) {
    this.lock = new SpinLock(`hb${owner ? `@fph#${owner.hid}` : ""}[${index}]`);
  }
}

/** What a private hash must offer to the bucket code (a heap object with a state). */
export interface FutexBucketOwner {
  readonly hid: number;
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

/** A bucket with the hash reference it was obtained under (CLASS(hb) in the kernel). */
export interface HashRef {
  hb: FutexHashBucket;
}

/**
 * futex_hash(): the bucket for a key, with a reference on the hash it belongs to.
 * Spine: every key hashes into the global hash; the private hash replaces this body.
 */
export function* futex_hash(k: Kernel, t: Task, key: FutexKey): KGen<HashRef> {
  return yield* frame(t, "futex_hash", futex_hash_global(k, key));
}

function* futex_hash_global(k: Kernel, key: FutexKey): KGen<HashRef> {
  yield "futex_hash: global bucket";
  return { hb: k.global.bucket(key) };
}

/** futex_hash_put(): drop the reference futex_hash() took. */
export function futex_hash_put(_k: Kernel, _t: Task, _ref: HashRef): void {}

/** The bucket futex_hash(key) would return now, without taking a reference (sanitizers). */
export function futex_hash_peek(k: Kernel, key: FutexKey): FutexHashBucket {
  return k.global.bucket(key);
}

/** __futex_queue(): add q to hb (caller holds hb->lock). */
export function __futex_queue(q: FutexQ, hb: FutexHashBucket): void {
  q.lock_ptr = hb;
  hb.chain.push(q);
}

/** __futex_unqueue(): remove q from its bucket (caller holds q->lock_ptr). */
export function __futex_unqueue(q: FutexQ): void {
  const hb = q.lock_ptr!;
  const i = hb.chain.indexOf(q);
  if (i >= 0) hb.chain.splice(i, 1);
}

/** futex_wake_mark(): unqueue a waiter and let it go (lock_ptr = NULL is the release). */
export function futex_wake_mark(q: FutexQ): void {
  __futex_unqueue(q);
  q.lock_ptr = null;
}

/**
 * futex_unqueue(): take q off its bucket if still queued. Relies only on q->lock_ptr, re-checked
 * under the lock, which covers requeue and rehash moving q meanwhile. Returns 1 if it was still
 * queued (not woken), 0 if a waker got there first.
 */
export function* futex_unqueue(k: Kernel, t: Task, q: FutexQ): KGen<number> {
  return yield* frame(t, "futex_unqueue", unqueue(k, t, q));
}

function* unqueue(k: Kernel, t: Task, q: FutexQ): KGen<number> {
  k.rcu.read_lock(t);
  try {
    for (;;) {
      yield "futex_unqueue: READ_ONCE(q->lock_ptr)";
      const lock_ptr = q.lock_ptr;
      if (lock_ptr === null) return 0;
      yield* spin_lock(t, lock_ptr.lock);
      if (lock_ptr === q.lock_ptr) {
        __futex_unqueue(q);
        q.lock_ptr = null;
        spin_unlock(t, lock_ptr.lock);
        return 1;
      }
      // requeued or rehashed while we took the lock: follow it
      spin_unlock(t, lock_ptr.lock);
    }
  } finally {
    k.rcu.read_unlock(t);
  }
}

/** get_futex_key(): the key of a user address, or -EINVAL (misaligned) / -EFAULT (unmapped). */
export function get_futex_key(t: Task, uaddr: number, shared: boolean): FutexKey | number {
  if (uaddr % 4 !== 0) return EINVAL;
  const mm = t.mm;
  if (!mm) return EFAULT;
  const l = mm.as.lookup(uaddr);
  if (!l) return EFAULT;
  if (!shared) return { type: "private", mm, addr: uaddr };
  if (l.map.file !== null) return { type: "inode", file: l.map.file, off: uaddr % 4096 };
  return { type: "mmshared", mm, addr: uaddr };
}
