// kernel/futex/core.c, CONFIG_FUTEX_PRIVATE_HASH (v7.2): struct futex_private_hash, the per-mm
// futex state (mm->futex.phash.*), __futex_hash() (a key's bucket in a given hash), and the mm
// lifecycle hooks (futex_mm_init from mm_init, futex_hash_free from __mmput).
//
// Taking and dropping a hash reference (futex_private_hash_get/put) is in core.ts, the reference
// counting itself (futex-ref) in ref.ts, replacing the hash (allocate, pivot, rehash, prctl) in
// resize.ts.
import { KObj, kvfree } from "../alloc.js";
import type { Kernel } from "../kernel.js";
import type { Mm } from "../mm.js";
import { alloc_percpu, free_percpu, this_cpu_inc, type PercpuU32 } from "../percpu.js";
import { Mutex, inFrame, type KGen, type LockOwner } from "../sched.js";
import type { Task } from "../task.js";
import { FutexHashBucket, futex_private_key_hash, type FutexKey } from "./hb.js";

export const FR_PERCPU = 0;
export const FR_ATOMIC = 1;

/** sizeof(struct futex_hash_bucket): ____cacheline_aligned_in_smp */
export const FUTEX_HB_SIZE = 64;
/** offsetof(struct futex_private_hash, queues): the header, padded to the buckets' alignment */
export const FPH_HEADER_SIZE = 64;

/** struct futex_private_hash */
export class FutexPrivateHash extends KObj {
  /** fph->state: FR_PERCPU (kvzalloc'ed: 0) or FR_ATOMIC (named apart from the heap object state) */
  frState = FR_PERCPU;
  /**
   * queues[0 .. nslots-1]. Buckets come into existence on first touch (a never-touched bucket
   * is an unlocked, empty bucket in the kernel too); this keeps big hashes cheap.
   */
  private readonly queues = new Map<number, FutexHashBucket>();
  constructor(
    /** the number of buckets allocated (struct_size(fph, queues, hash_slots)) */
    readonly nslots: number,
    /** 0 = the 0-slot marker: private keys use the global hash */
    readonly hash_mask: number,
    readonly mm: Mm,
    /** set by PR_FUTEX_HASH_SET_SLOTS: disables auto-scaling, wins over automatic requests */
    readonly custom: boolean,
  ) {
    super("struct futex_private_hash", FPH_HEADER_SIZE + FUTEX_HB_SIZE * nslots);
  }

  /** &fph->queues[i] (no bounds check: see fph_bucket). */
  bucketAt(i: number): FutexHashBucket {
    let hb = this.queues.get(i);
    if (!hb) this.queues.set(i, (hb = new FutexHashBucket(i, this)));
    return hb;
  }

  /** The indices of the buckets touched so far, ascending (the order the kernel walks them). */
  touched(): number[] {
    return [...this.queues.keys()].sort((a, b) => a - b);
  }
}

/** &fph->queues[i], with KASAN's view of the access. */
export function fph_bucket(k: Kernel, ctx: LockOwner, fph: FutexPrivateHash, i: number, access: string): FutexHashBucket {
  k.hooks.access(fph, access, ctx);
  if (i >= fph.nslots)
    k.report(
      "out-of-bounds",
      `KASAN: slab-out-of-bounds in ${ctx.frames[ctx.frames.length - 1] ?? "futex"}`,
      ctx,
      `${access}: queues[${i}] of struct futex_private_hash #${fph.hid} with ${fph.nslots} buckets`,
    );
  return fph.bucketAt(i);
}

/** mm->futex.phash.* (v7.2 layout; before 2026 the same fields were mm->futex_*). */
export class MmFutex {
  /** mutex: install, pivot, hash_new, the pivot-pending check */
  lock = new Mutex("mm->futex.phash.lock");
  /** RCU pointer to the current private hash; null = none yet (private keys use the global hash) */
  hash: FutexPrivateHash | null = null;
  /** the replacement waiting for the current hash to die */
  hash_new: FutexPrivateHash | null = null;
  /** get_state_synchronize_rcu() cookie taken when `hash` was published */
  batches = 0;
  /** the one rcu_head of the futex-ref transition is queued (debug-objects state) */
  rcuQueued = false;
  /** atomic_long_t: the atomic-mode refcount, shared by all of this mm's hashes */
  atomic = 0n;
  /** unsigned int __percpu *: per-CPU refcount, null until the first hash allocation */
  ref: PercpuU32 | null = null;
  /**
   * Tables swapped out by the v4 resize (futex_hash_install_v4) that are still waiting for their
   * last user. v4 counted users per table (rcuref) and held a reference across schedule(); the
   * simulator counts per mm (futex-ref), so it keeps such a table until the mm goes (__mmput).
   * Always empty in v7.2, which frees a replaced table only once it is dead.
   */
  retired: FutexPrivateHash[] = [];

  /** dup_mm's memcpy(mm, oldmm): every field, by value (the mutex struct included). */
  memcpy(): MmFutex {
    const c = new MmFutex();
    c.lock = new Mutex(this.lock.name);
    c.lock.owner = this.lock.owner;
    c.hash = this.hash;
    c.hash_new = this.hash_new;
    c.batches = this.batches;
    c.rcuQueued = this.rcuQueued;
    c.atomic = this.atomic;
    c.ref = this.ref;
    c.retired = this.retired;
    return c;
  }
}

/** The futexMmInit seam: false when it failed (then mm_init frees the mm). */
export type FutexMmInit = (k: Kernel, ctx: LockOwner, mm: Mm) => boolean;

/**
 * futex_mm_init() [v7.2, void since d7b3f52c861f]: zero mm->futex.phash (hash, hash_new, ref,
 * atomic, the rcu_head), mutex_init, batches = get_state_synchronize_rcu(). Called from mm_init
 * for every new mm, including dup_mm's copy, where it undoes what memcpy copied. Nothing is
 * allocated here since d9b05321e21e (futex_ref is allocated lazily by futex_hash_allocate).
 * Returns false when it failed (it cannot in v7.2).
 */
export function futex_mm_init(k: Kernel, _ctx: LockOwner, mm: Mm): boolean {
  const f = mm.futex;
  f.hash = null;
  f.hash_new = null;
  f.ref = null;
  f.atomic = 0n;
  f.rcuQueued = false;
  f.retired = [];
  f.lock = new Mutex(`mm${mm.id}->futex.phash.lock`);
  f.batches = k.rcu.get_state();
  return true;
}

/**
 * futex_mm_init() before a24cc6ce1933 "futex: Initialize futex_phash_new during fork()"
 * (bd54df5ea7ca .. v6.16-rc3): RCU_INIT_POINTER(mm->futex_phash, NULL) and mutex_init only. A
 * fork while a resize is pending leaves the child's futex_phash_new pointing at the parent's
 * pending hash. (The futex-ref fields came later with 56180dd20c19; they are reset as in v7.2 so
 * that only phash_new is inherited.)
 */
export const futex_mm_init_pre_a24cc6ce1933: FutexMmInit = futex_mm_init_keeping("hash_new");

/** v7.2's futex_mm_init() but for one field it did not reset yet: that keeps what dup_mm's memcpy copied */
function futex_mm_init_keeping<F extends "hash_new" | "ref">(field: F): FutexMmInit {
  return (k, ctx, mm) => {
    const inherited: MmFutex[F] = mm.futex[field];
    futex_mm_init(k, ctx, mm);
    mm.futex[field] = inherited;
    return true;
  };
}

/**
 * futex_mm_init() of 56180dd20c19 "futex: Use RCU-based per-CPU reference counting instead of
 * rcuref_t" (seed 000): also allocate the per-CPU futex_ref for every mm and arm it (0 -> 1);
 * -ENOMEM fails mm_init. Only futex_hash_free() (from __mmput) frees it, so an mm that is dropped
 * with mmdrop() alone (mm_alloc + a failing exec, debug_vm_pgtable) leaks it (seed 001; fixed by
 * e703b7e24750, then d9b05321e21e made the allocation lazy).
 */
export function futex_mm_init_56180dd20c19(k: Kernel, ctx: LockOwner, mm: Mm): boolean {
  futex_mm_init(k, ctx, mm);
  return inFrame(ctx, "futex_mm_init", () => {
    const ref = alloc_percpu(k, ctx);
    if (!ref) return false;
    mm.futex.ref = ref;
    this_cpu_inc(k, ctx, ref, "*mm->futex_ref"); // 0 -> 1
    return true;
  });
}

/**
 * futex_mm_init() of the first version of d9b05321e21e (1b708b38414d in the pre-fold tree):
 * futex_ref became lazily allocated in futex_hash_allocate, but mm_init did not reset it yet,
 * so dup_mm's child kept the parent's per-CPU counter (fixed by folding "futex: Initialize
 * mm_struct::futex_ref on mm_init()" into d9b05321e21e).
 */
export const futex_mm_init_1b708b38414d: FutexMmInit = futex_mm_init_keeping("ref");

/**
 * futex_hash_free(): from __mmput only (d9b05321e21e moved it back from __mmdrop). Immediate
 * frees: nobody can use this mm's hashes any more (no users; the futex-ref transition holds an
 * mm_users reference until it ends).
 */
export function futex_hash_free(k: Kernel, ctx: LockOwner, mm: Mm): void {
  inFrame(ctx, "futex_hash_free", () => {
    const f = mm.futex;
    free_percpu(k, ctx, f.ref);
    kvfree(k, ctx, f.hash_new);
    kvfree(k, ctx, f.hash);
    for (const old of f.retired) kvfree(k, ctx, old);
  });
}

/**
 * The futexHashFreeSite seam: where the mm's futex hashes go, in __mmput (with the address
 * space, from the last user) or in __mmdrop (with the struct, from the last mm_count reference,
 * which may be the lazy-TLB one dropped by finish_task_switch with preemption disabled).
 */
export interface FutexHashFreeSite {
  readonly __mmput: (k: Kernel, ctx: LockOwner, mm: Mm) => void;
  readonly __mmdrop: (k: Kernel, ctx: LockOwner, mm: Mm) => void;
}

const nothing = (): void => {};

/** v7.2 (d9b05321e21e "futex: Move futex_hash_free() back to __mmput()"). */
export const FUTEX_HASH_FREE_IN_MMPUT: FutexHashFreeSite = { __mmput: futex_hash_free, __mmdrop: nothing };

/** e703b7e24750 "futex: Move futex cleanup to __mmdrop()" (until d9b05321e21e). */
export const FUTEX_HASH_FREE_IN_MMDROP_e703b7e24750: FutexHashFreeSite = { __mmput: nothing, __mmdrop: futex_hash_free };

/** futex_hash_get_slots(): hash_mask + 1 of a hash with buckets, else 0 (none or global). */
export function* futex_hash_get_slots(k: Kernel, t: Task): KGen<number> {
  t.frames.push("futex_hash_get_slots");
  try {
    yield "futex_hash_get_slots: rcu_dereference(mm->futex.phash.hash)";
    const mm = t.mm!;
    k.hooks.access(mm, "read mm->futex.phash.hash", t);
    const fph = mm.futex.hash;
    if (!fph) return 0;
    k.hooks.access(fph, "read fph->hash_mask", t);
    return fph.hash_mask ? fph.hash_mask + 1 : 0;
  } finally {
    t.frames.pop();
  }
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
  if (key.type === "private" && key.node === undefined) {
    if (!fph) {
      k.hooks.access(key.mm, "rcu_dereference(mm->futex.phash.hash)", ctx);
      fph = key.mm.futex.hash;
    }
    if (fph) {
      k.hooks.access(fph, "fph->hash_mask", ctx);
      if (fph.hash_mask) {
        const i = futex_private_key_hash(key.addr) & fph.hash_mask;
        return { hb: fph_bucket(k, ctx, fph, i, "&fph->queues[hash & hash_mask]"), fph };
      }
    }
  }
  return { hb: k.global.bucket(key), fph: null };
}
