// kernel/futex/futex.h and the bucket half of core.c: futex keys, struct futex_q, struct
// futex_hash_bucket and its lock and waiter count, the global hash, and queueing on a bucket.
// The bottom of the futex files: it calls none of them.
import { KObj } from "../alloc.js";
import type { Kernel } from "../kernel.js";
import type { Mm } from "../mm.js";
import { SpinLock, spin_acquired, spin_contended, spin_unlock, type KGen, type LockOwner } from "../sched.js";
import type { Task } from "../task.js";
import type { RtMutexWaiter } from "../rtmutex.js";
import type { FutexPiState } from "./pi_state.js";
import type { FutexPrivateHash } from "./private.js";

/**
 * union futex_key. `private`: PROCESS_PRIVATE ops (mm, address). `mmshared`: a shared op on an
 * anonymous private page (mm, address, FUT_OFF_MMSHARED). `inode`: a shared op on a file page.
 */
export type FutexKey =
  | { type: "private"; mm: Mm; addr: number; node?: number }
  | { type: "mmshared"; mm: Mm; addr: number; node?: number }
  | { type: "inode"; file: number; off: number; node?: number };
// key->both.node: absent = FUTEX_NO_NODE (every key but a FUTEX2_NUMA one, see numa.ts); it
// picks the node's global table and keeps a private key out of the private hash, but
// futex_match() does not compare it.

export function match_futex(a: FutexKey, b: FutexKey): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "inode") return b.type === "inode" && a.file === b.file && a.off === b.off;
  return (b as { mm: Mm }).mm === a.mm && (b as { addr: number }).addr === a.addr;
}

export function keyText(key: FutexKey): string {
  const base = key.type === "inode" ? `f${key.file}+${key.off}` : `${key.type}:mm${key.mm.id}@${key.addr.toString(16)}`;
  return key.node === undefined ? base : `${base}/node${key.node}`;
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
  /** PI: the pi_state this waiter is attached to (futex_lock_pi; requeue-PI once requeued) */
  pi_state: FutexPiState | null = null;
  /** requeue-PI: the rt_mutex waiter on the waiter's stack (futex_wait_requeue_pi) */
  rt_waiter: RtMutexWaiter | null = null;
  /** requeue-PI: the key of the PI futex it is to be requeued to */
  requeue_pi_key: FutexKey | null = null;
  /** requeue-PI: q->requeue_state (Q_REQUEUE_PI_*, requeue_pi.ts) */
  requeue_state = 0;
  /** the extra private-hash reference a waker took for this waiter (dropped by the waiter) */
  drop_fph: FutexPrivateHash | null = null;
  /** the stack frame q lives in, when KASAN is to see it die with the syscall (requeue-PI waiters) */
  frame: KObj | null = null;
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

/** MAX_NUMNODES (CONFIG_NODES_SHIFT=6) */
export const MAX_NUMNODES = 64;

/**
 * The global futex hash (futex_init): one table per possible node (nodes 0..nodes-1, all
 * possible), each roundup_pow_of_two(max(4, 256 * CPUs / nodes)) buckets, created on first use.
 */
export class GlobalHash {
  /** futex_hashmask: of one node's table */
  readonly mask: number;
  /** futex_hashshift = ilog2(table size) */
  readonly shift: number;
  /** node_possible_map: a nodemask_t of MAX_NUMNODES bits, a global object KASAN knows the size of */
  readonly node_possible_map = new KObj("nodemask_t node_possible_map", MAX_NUMNODES / 8);
  private readonly buckets = new Map<number, FutexHashBucket>();
  constructor(
    cpus: number,
    /** nr_node_ids: every node below it is possible */
    readonly nodes = 1,
  ) {
    let n = 1;
    let shift = 0;
    while (n < Math.max(4, Math.floor((256 * cpus) / nodes))) (n <<= 1), shift++;
    this.mask = n - 1;
    this.shift = shift;
  }
  /**
   * &futex_queues[node][hash & futex_hashmask] (__futex_hash, the global half): a key with no
   * node is interleaved across the nodes by unused hash bits.
   */
  bucket(key: FutexKey): FutexHashBucket {
    const hash = futex_key_hash(key);
    const node = key.node ?? (hash >>> this.shift) % this.nodes;
    const i = node * (this.mask + 1) + (hash & this.mask);
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
  if (hb.owner) k.hooks.access(hb.owner, access, ctx);
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
  // spin_lock(&hb->lock) inline: one generator, not two, on every bucket lock
  const l = hb.lock;
  yield l.lockLabel;
  if (l.owner !== null) yield spin_contended(l);
  spin_acquired(ctx, l);
  futex_hb_check(k, ctx, hb, "spin_lock(&hb->lock)");
}

/** spin_unlock(&hb->lock) */
export function futex_hb_unlock(k: Kernel, ctx: LockOwner, hb: FutexHashBucket): void {
  futex_hb_check(k, ctx, hb, "spin_unlock(&hb->lock)");
  spin_unlock(ctx, hb.lock);
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
