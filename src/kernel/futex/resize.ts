// kernel/futex/core.c (v7.2): replacing the private hash. futex_hash_allocate() builds a new
// hash and either installs it at once or stashes it in mm->futex.phash.hash_new while the
// current one is still referenced; the first futex_hash() whose reference fails (the current
// hash is dead) performs the pivot: rehash every queued futex_q into the new buckets (rewriting
// q->lock_ptr), publish, kvfree_rcu the old hash. PR_FUTEX_HASH_SET_SLOTS waits until its hash
// (or a better one) is in effect.
import { kvfree, kvfree_rcu } from "../alloc.js";
import type { Kernel } from "../kernel.js";
import { OBS } from "../hooks.js";
import type { Mm } from "../mm.js";
import { alloc_percpu, free_percpu, this_cpu_inc } from "../percpu.js";
import { mutex_lock, mutex_unlock, type KGen } from "../sched.js";
import type { Task } from "../task.js";
import { EBUSY, EINVAL, ENOMEM } from "../errno.js";
import { __futex_hash } from "./private.js";
import { futex_hb_lock, futex_hb_unlock, futex_hb_waiters_dec, futex_hb_waiters_inc } from "./hb.js";
import { FPH_HEADER_SIZE, FR_PERCPU, FUTEX_HB_SIZE, FutexPrivateHash, fph_bucket, futex_hash_get_slots } from "./private.js";
import { futex_ref_is_dead } from "./ref.js";

export const FH_CUSTOM = 0x01;
export const PR_FUTEX_HASH = 78;
export const PR_FUTEX_HASH_SET_SLOTS = 1;
export const PR_FUTEX_HASH_GET_SLOTS = 2;
const INT_MAX = 0x7fffffff;

/**
 * futex_rehash_private() (mm->futex.phash.lock held, `old` dead): move every queued futex_q to
 * its bucket in `new` and point q->lock_ptr there. A moved waiter can already unqueue itself
 * through lock_ptr (timeout, signal), hence the nested lock on the new bucket.
 */
export function* futex_rehash_private(k: Kernel, t: Task, old: FutexPrivateHash, nw: FutexPrivateHash): KGen {
  t.frames.push("futex_rehash_private");
  try {
    const slots = old.hash_mask + 1;
    // the kernel walks queues[0 .. hash_mask]; buckets never touched are empty and unlocked
    if (slots > old.nslots) fph_bucket(k, t, old, old.nslots, "spin_lock(&hb_old->lock)");
    for (const i of old.touched()) {
      const hb_old = fph_bucket(k, t, old, i, "hb_old = &old->queues[i]");
      yield* futex_hb_lock(k, t, hb_old);
      for (const q of [...hb_old.chain]) {
        yield "futex_rehash_private: plist_del(&q->list, &hb_old->chain)";
        hb_old.chain.splice(hb_old.chain.indexOf(q), 1);
        futex_hb_waiters_dec(k, t, hb_old);
        k.warnOn(q.lock_ptr !== hb_old, "q->lock_ptr != &hb_old->lock", t);
        const hb_new = __futex_hash(k, t, q.key, nw).hb;
        futex_hb_waiters_inc(k, t, hb_new);
        yield* futex_hb_lock(k, t, hb_new);
        hb_new.chain.push(q);
        q.lock_ptr = hb_new;
        futex_hb_unlock(k, t, hb_new);
      }
      futex_hb_unlock(k, t, hb_old);
    }
  } finally {
    t.frames.pop();
  }
}

/**
 * __futex_pivot_hash() (mm->futex.phash.lock held): install `new` if the current hash is dead
 * (rehashing its waiters) or absent; else stash `new` in hash_new and return false.
 */
export function* __futex_pivot_hash(k: Kernel, t: Task, mm: Mm, nw: FutexPrivateHash): KGen<boolean> {
  t.frames.push("__futex_pivot_hash");
  try {
    k.hooks.access(mm, "mm->futex.phash.hash_new", t);
    k.warnOn(mm.futex.hash_new !== null, "mm->futex.phash.hash_new is set", t);
    yield "__futex_pivot_hash: rcu_dereference_protected(mm->futex.phash.hash)";
    k.hooks.observe?.(OBS.PIVOT, t, mm);
    const cur = mm.futex.hash;
    if (cur) {
      if (!(yield* futex_ref_is_dead(k, t, cur))) {
        mm.futex.hash_new = nw;
        return false;
      }
      yield* futex_rehash_private(k, t, cur, nw);
    }
    yield "__futex_pivot_hash: new->state = FR_PERCPU";
    k.hooks.access(nw, "new->state = FR_PERCPU", t);
    nw.frState = FR_PERCPU;
    yield "__futex_pivot_hash: batches = get_state_synchronize_rcu(); rcu_assign_pointer(mm->futex.phash.hash, new)";
    k.rcu.read_lock(t);
    mm.futex.batches = k.rcu.get_state();
    mm.futex.hash = nw;
    k.rcu.read_unlock(t);
    kvfree_rcu(k, t, cur);
    return true;
  } finally {
    t.frames.pop();
  }
}

/** futex_pivot_hash(): perform a pending replacement, if any (a futex_hash() whose get failed). */
export function* futex_pivot_hash(k: Kernel, t: Task, mm: Mm): KGen {
  t.frames.push("futex_pivot_hash");
  try {
    yield* mutex_lock(k, t, mm.futex.lock);
    yield "futex_pivot_hash: read mm->futex.phash.hash_new";
    k.hooks.access(mm, "mm->futex.phash.hash_new", t);
    const fph = mm.futex.hash_new;
    if (fph) {
      mm.futex.hash_new = null;
      yield* __futex_pivot_hash(k, t, mm, fph);
    }
    mutex_unlock(t, mm.futex.lock);
  } finally {
    t.frames.pop();
  }
}

/** The futexPivotPending seam: may the waiting prctl go on? */
export type FutexPivotPending = (k: Kernel, t: Task, mm: Mm) => KGen<boolean>;

/**
 * futex_pivot_pending() [2026, "Fix race in futex_pivot_pending()"]: may the prctl proceed?
 * Evaluated under the hash mutex so a concurrent pivot cannot slip between the two reads.
 */
export function* futex_pivot_pending(k: Kernel, t: Task, mm: Mm): KGen<boolean> {
  t.frames.push("futex_pivot_pending");
  try {
    yield* mutex_lock(k, t, mm.futex.lock);
    yield "futex_pivot_pending: read mm->futex.phash.hash_new";
    k.hooks.access(mm, "mm->futex.phash.hash_new", t);
    let r = true;
    if (mm.futex.hash_new) {
      const cur = mm.futex.hash;
      if (!cur) k.report("warn", "BUG: kernel NULL pointer dereference in futex_pivot_pending", t, "hash_new set, hash NULL");
      r = yield* futex_ref_is_dead(k, t, cur);
    }
    mutex_unlock(t, mm.futex.lock);
    return r;
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_pivot_pending() before "futex: Fix race in futex_pivot_pending() during private hash
 * resize" (stable 19b4be0717fa; v6.17 C): both fields read under RCU only. A pivot by another
 * task between the two reads (it clears phash_new and publishes a live FR_PERCPU hash) makes the
 * predicate false after the one wake_up_var() of the old hash's death was already consumed.
 */
export function* futex_pivot_pending_pre_19b4be0717fa(k: Kernel, t: Task, mm: Mm): KGen<boolean> {
  t.frames.push("futex_pivot_pending");
  try {
    yield "futex_pivot_pending: guard(rcu)";
    k.rcu.read_lock(t);
    try {
      yield "futex_pivot_pending: read mm->futex_phash_new";
      k.hooks.access(mm, "mm->futex_phash_new", t);
      if (!mm.futex.hash_new) return true;
      yield "futex_pivot_pending: rcu_dereference(mm->futex_phash)";
      const fph = mm.futex.hash;
      if (!fph) k.report("warn", "BUG: kernel NULL pointer dereference in futex_pivot_pending", t, "phash_new set, phash NULL");
      return yield* futex_ref_is_dead(k, t, fph);
    } finally {
      k.rcu.read_unlock(t);
    }
  } finally {
    t.frames.pop();
  }
}

/** futex_hash_less(a, b): a loses. Custom beats automatic, then 0-slot (global) wins, then bigger. */
export function futex_hash_less(k: Kernel, t: Task, a: FutexPrivateHash, b: FutexPrivateHash): boolean {
  k.hooks.access(a, "futex_hash_less(a)", t);
  k.hooks.access(b, "futex_hash_less(b)", t);
  if (!a.custom && b.custom) return true;
  if (a.custom && !b.custom) return false;
  if (!b.hash_mask) return true;
  if (!a.hash_mask) return false;
  return a.hash_mask < b.hash_mask;
}

/** kvzalloc(struct_size(fph, queues, hash_slots)): kvmalloc refuses sizes above INT_MAX. */
function kvzalloc_fph(k: Kernel, t: Task, mm: Mm, slots: number, custom: boolean): FutexPrivateHash | null {
  if (FPH_HEADER_SIZE + FUTEX_HB_SIZE * slots > INT_MAX) return null;
  return k.heap.alloc(new FutexPrivateHash(slots, slots ? slots - 1 : 0, mm, custom), t);
}


/**
 * futex_hash_allocate(hash_slots, flags): 0, -EINVAL (1 or not a power of two), -EBUSY (the
 * global hash is installed for good), -ENOMEM. Returns 0 also when a better concurrent request
 * wins and this one's hash is thrown away.
 */
export function* futex_hash_allocate(k: Kernel, t: Task, hash_slots: number, flags: number): KGen<number> {
  t.frames.push("futex_hash_allocate");
  try {
    const mm = t.mm!;
    const custom = (flags & FH_CUSTOM) !== 0;
    if (hash_slots && (hash_slots === 1 || (hash_slots & (hash_slots - 1)) !== 0)) return EINVAL;

    // once the global hash is installed there is no way back
    yield "futex_hash_allocate: rcu_dereference(mm->futex.phash.hash)";
    k.hooks.access(mm, "mm->futex.phash.hash", t);
    const early = mm.futex.hash;
    if (early) {
      k.hooks.access(early, "fph->hash_mask", t);
      if (!early.hash_mask) return custom ? EBUSY : 0;
    }

    if (!mm.futex.ref) {
      // [2026] allocate and arm locally, publish with cmpxchg, free the loser
      yield "futex_hash_allocate: alloc_percpu(unsigned int)";
      const r = alloc_percpu(k, t);
      if (!r) return ENOMEM;
      this_cpu_inc(k, t, r, "*ref");
      yield "futex_hash_allocate: cmpxchg(&mm->futex.phash.ref, NULL, ref)";
      if (mm.futex.ref) free_percpu(k, t, r);
      else mm.futex.ref = r;
    }

    yield "futex_hash_allocate: kvzalloc(struct_size(fph, queues, hash_slots))";
    const fph = kvzalloc_fph(k, t, mm, hash_slots, custom);
    if (!fph) return ENOMEM;
    return yield* k.seams.resizeStrategy(k, t, mm, fph, custom);
  } finally {
    t.frames.pop();
  }
}

/** The futexHashAllocateRecheck seam: must this request back out (-EBUSY) now? */
export type FutexHashAllocateRecheck = (k: Kernel, t: Task, cur: FutexPrivateHash | null) => boolean;

/**
 * The re-check under the mutex (69a14d146f3b "futex: Verify under the lock if hash can be
 * replaced"): the early check ran without the lock; if another request installed the global
 * (0-slot) hash meanwhile, this one must not drop and rehash it.
 */
export function futex_hash_allocate_recheck(k: Kernel, t: Task, cur: FutexPrivateHash | null): boolean {
  if (!cur) return false;
  k.hooks.access(cur, "cur->hash_mask", t);
  return !cur.hash_mask;
}

/** Before 69a14d146f3b (bd54df5ea7ca .. v6.16-rc2): only the early, unlocked check existed. */
export function futex_hash_allocate_recheck_pre_69a14d146f3b(_k: Kernel, _t: Task, _cur: FutexPrivateHash | null): boolean {
  return false;
}

/**
 * The resizeStrategy seam: the rest of futex_hash_allocate() once `fph` is allocated: make it
 * (or a better pending request) the mm's hash. Returns 0 or -EBUSY.
 */
export type ResizeStrategy = (k: Kernel, t: Task, mm: Mm, fph: FutexPrivateHash, custom: boolean) => KGen<number>;

/**
 * futex_hash_allocate() from `again:` [v7.2]: under the mutex, drop the current hash's initial
 * reference (it dies once its users are gone), keep the better of this and a pending request,
 * and pivot if the current hash is already dead; else the new one waits in hash_new. A custom
 * request (prctl) waits until a pivot happened; clone() never waits.
 */
export function* futex_hash_install(k: Kernel, t: Task, mm: Mm, first: FutexPrivateHash, custom: boolean): KGen<number> {
  let fph: FutexPrivateHash | null = first;
  for (;;) {
    // only the prctl waits and retries; clone() is never delayed
    if (custom) yield* k.seams.futexHashAllocateWait(k, t, mm);
    yield* mutex_lock(k, t, mm.futex.lock);
    yield "futex_hash_allocate: read mm->futex.phash.{hash,hash_new}";
    k.hooks.observe?.(OBS.HASH_ALLOC, t, mm);
    let to_free: FutexPrivateHash | null = null;
    const cur = mm.futex.hash;
    let nw = mm.futex.hash_new;
    mm.futex.hash_new = null;
    if (fph) {
      if (k.seams.futexHashAllocateRecheck(k, t, cur)) {
        // two requests for the global hash raced: the first switched, this one backs out
        mm.futex.hash_new = nw;
        kvfree(k, t, fph);
        mutex_unlock(t, mm.futex.lock);
        return EBUSY;
      }
      // a current hash and no replacement yet: start killing the current one
      if (cur && !nw) yield* k.seams.futexRefDrop(k, t, cur);
      if (nw) {
        // two updates raced; throw out the lesser one
        if (futex_hash_less(k, t, nw, fph)) {
          to_free = nw;
          nw = fph;
        } else to_free = fph;
      } else nw = fph;
      fph = null;
    }
    let again = false;
    if (nw) again = !(yield* __futex_pivot_hash(k, t, mm, nw)) && custom;
    kvfree(k, t, to_free); // __free(kvfree): before the mutex is released
    mutex_unlock(t, mm.futex.lock);
    if (!again) return 0;
  }
}

/**
 * futex_hash_allocate() of "[PATCH v4 06/11] futex: Allow to re-allocate the private hash
 * bucket" (2024-12-03; tglx's review of 2024-12-10 is seed 004): swap the mm's table at once and
 * wake every task queued on the old one so that it requeues itself (futex_put_old_hb_p). A task
 * that loaded the old table and got its reference before the swap is not queued yet when the
 * wake-all walks the buckets; it queues on the old table afterwards and sleeps where no
 * futex_hash() looks any more. No request waits, none is "lesser": the last one wins.
 */
export function* futex_hash_install_v4(k: Kernel, t: Task, mm: Mm, fph: FutexPrivateHash, _custom: boolean): KGen<number> {
  yield* mutex_lock(k, t, mm.futex.lock); // down_write(&mm->futex_hash_lock)
  yield "futex_hash_allocate: old = mm->futex_hash_bucket";
  k.hooks.access(mm, "mm->futex_hash_bucket", t);
  const old = mm.futex.hash;
  yield "futex_hash_allocate: rcu_assign_pointer(mm->futex_hash_bucket, new)";
  k.hooks.access(fph, "rcu_assign_pointer(mm->futex_hash_bucket, new)", t);
  mm.futex.hash = fph;
  mutex_unlock(t, mm.futex.lock);
  if (old) yield* futex_put_old_hb_p(k, t, mm, old);
  return 0;
}

/**
 * futex_put_old_hb_p() (v4): collect every task queued on the old table (under each bucket lock,
 * leaving them queued), drop the table's initial reference, wake them all: each one's futex_wait
 * finds itself still queued without a signal and starts over on the new table. (v4's table was
 * freed at its last rcuref put; here it is retired until the mm goes, see MmFutex.retired.)
 */
function* futex_put_old_hb_p(k: Kernel, t: Task, mm: Mm, old: FutexPrivateHash): KGen {
  t.frames.push("futex_put_old_hb_p");
  try {
    const wake: Task[] = [];
    // a 0-slot (global) marker has no queues of its own
    if (old.hash_mask) {
      for (const i of old.touched()) {
        const hb = fph_bucket(k, t, old, i, "hb = &hb_p->queues[i]");
        yield* futex_hb_lock(k, t, hb);
        for (const q of hb.chain) wake.push(q.task); // wake_q_add(&wake_q, this->task)
        futex_hb_unlock(k, t, hb);
      }
    }
    yield "futex_put_old_hb_p: futex_hash_priv_put(hb_p)";
    mm.futex.retired.push(old);
    yield "futex_put_old_hb_p: wake_up_q";
    for (const w of wake) w.wakeup = true;
  } finally {
    t.frames.pop();
  }
}

function roundup_pow_of_two(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * futex_hash_allocate_default() (copy_process, CLONE_THREAD|CLONE_VM): grow the automatic hash
 * to 16 <= roundup_pow_of_two(4 * min(threads, online CPUs)) <= global hash size; never shrinks,
 * never touches a custom hash. The new thread is not counted yet.
 */
export function* futex_hash_allocate_default(k: Kernel, t: Task): KGen<number> {
  t.frames.push("futex_hash_allocate_default");
  try {
    const mm = t.mm;
    if (!mm) return 0;
    yield "futex_hash_allocate_default: rcu_dereference(mm->futex.phash.hash)";
    let nr_threads = 0;
    for (const o of t.group.tasks) if (o.state !== "exited") nr_threads++;
    // get_nr_threads(): signal->nr_threads drops in __exit_signal(), which a group leader reaches
    // only when it is reaped: a zombie leader still counts while its threads live
    for (const o of k.tasks.values()) if (o.group === t.group && o.state === "exited" && o.tid === t.group.tgid) nr_threads++;
    const threads = Math.min(nr_threads, k.cpus);
    let current_buckets = 0;
    k.hooks.access(mm, "mm->futex.phash.hash", t);
    const fph = mm.futex.hash;
    if (fph) {
      k.hooks.access(fph, "fph->custom", t);
      if (fph.custom) return 0;
      current_buckets = fph.hash_mask + 1;
    }
    const buckets = Math.min(Math.max(roundup_pow_of_two(4 * threads), 16), k.global.size);
    if (current_buckets >= buckets) return 0;
    return yield* futex_hash_allocate(k, t, buckets, 0);
  } finally {
    t.frames.pop();
  }
}

/** futex_hash_prctl(arg2, arg3, arg4): PR_FUTEX_HASH_SET_SLOTS / PR_FUTEX_HASH_GET_SLOTS. */
export function futex_hash_prctl(k: Kernel, t: Task, arg2: number, arg3: number, arg4: number): KGen<number> {
  // a dispatch with no point or frame of its own: it returns the generator of the call it picks
  // (which runs nothing until resumed), so a prctl makes one generator, not two
  switch (arg2) {
    case PR_FUTEX_HASH_SET_SLOTS:
      if (arg4) return errno(EINVAL);
      return futex_hash_allocate(k, t, arg3 >>> 0, FH_CUSTOM);
    case PR_FUTEX_HASH_GET_SLOTS:
      return futex_hash_get_slots(k, t);
    default:
      return errno(EINVAL);
  }
}

/** A call that fails before doing anything: returns `e` at its first resume. */
// eslint-disable-next-line require-yield
function* errno(e: number): KGen<number> {
  return e;
}
