// kernel/futex/core.c (v7.2): replacing the private hash. futex_hash_allocate() builds a new
// hash and either installs it at once or stashes it in mm->futex.phash.hash_new while the
// current one is still referenced; the first futex_hash() whose reference fails (the current
// hash is dead) performs the pivot: rehash every queued futex_q into the new buckets (rewriting
// q->lock_ptr), publish, kvfree_rcu the old hash. PR_FUTEX_HASH_SET_SLOTS waits until its hash
// (or a better one) is in effect.
import { kvfree, kvfree_rcu } from "../alloc.js";
import type { Kernel } from "../kernel.js";
import type { Mm } from "../mm.js";
import { alloc_percpu, free_percpu, this_cpu_inc } from "../percpu.js";
import { frame, mutex_lock, mutex_unlock, type KGen } from "../sched.js";
import type { Task } from "../task.js";
import { add_var_wait_queue, remove_var_wait_queue, wait_woken } from "../waitvar.js";
import {
  EBUSY,
  EINVAL,
  ENOMEM,
  __futex_hash,
  futex_hb_lock,
  futex_hb_unlock,
  futex_hb_waiters_dec,
  futex_hb_waiters_inc,
} from "./core.js";
import { FPH_HEADER_SIZE, FR_PERCPU, FUTEX_HB_SIZE, FutexPrivateHash, fph_bucket, futex_hash_get_slots } from "./private.js";
import { futex_ref_drop, futex_ref_is_dead } from "./ref.js";

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
  yield* frame(t, "futex_rehash_private", (function* () {
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
  })());
}

/**
 * __futex_pivot_hash() (mm->futex.phash.lock held): install `new` if the current hash is dead
 * (rehashing its waiters) or absent; else stash `new` in hash_new and return false.
 */
export function* __futex_pivot_hash(k: Kernel, t: Task, mm: Mm, nw: FutexPrivateHash): KGen<boolean> {
  return yield* frame(t, "__futex_pivot_hash", (function* () {
    k.heap.check(mm, "mm->futex.phash.hash_new", k.site(t));
    k.warnOn(mm.futex.hash_new !== null, "mm->futex.phash.hash_new is set", t);
    yield "__futex_pivot_hash: rcu_dereference_protected(mm->futex.phash.hash)";
    const cur = mm.futex.hash;
    if (cur) {
      if (!(yield* futex_ref_is_dead(k, t, cur))) {
        mm.futex.hash_new = nw;
        return false;
      }
      yield* futex_rehash_private(k, t, cur, nw);
    }
    yield "__futex_pivot_hash: new->state = FR_PERCPU";
    k.heap.check(nw, "new->state = FR_PERCPU", k.site(t));
    nw.frState = FR_PERCPU;
    yield "__futex_pivot_hash: batches = get_state_synchronize_rcu(); rcu_assign_pointer(mm->futex.phash.hash, new)";
    k.rcu.read_lock(t);
    mm.futex.batches = k.rcu.get_state();
    mm.futex.hash = nw;
    k.rcu.read_unlock(t);
    kvfree_rcu(k, t, cur);
    return true;
  })());
}

/** futex_pivot_hash(): perform a pending replacement, if any (a futex_hash() whose get failed). */
export function* futex_pivot_hash(k: Kernel, t: Task, mm: Mm): KGen {
  yield* frame(t, "futex_pivot_hash", (function* () {
    yield* mutex_lock(t, mm.futex.lock);
    yield "futex_pivot_hash: read mm->futex.phash.hash_new";
    k.heap.check(mm, "mm->futex.phash.hash_new", k.site(t));
    const fph = mm.futex.hash_new;
    if (fph) {
      mm.futex.hash_new = null;
      yield* __futex_pivot_hash(k, t, mm, fph);
    }
    mutex_unlock(t, mm.futex.lock);
  })());
}

/**
 * futex_pivot_pending() [2026, "Fix race in futex_pivot_pending()"]: may the prctl proceed?
 * Evaluated under the hash mutex so a concurrent pivot cannot slip between the two reads.
 */
export function* futex_pivot_pending(k: Kernel, t: Task, mm: Mm): KGen<boolean> {
  return yield* frame(t, "futex_pivot_pending", (function* () {
    yield* mutex_lock(t, mm.futex.lock);
    yield "futex_pivot_pending: read mm->futex.phash.hash_new";
    k.heap.check(mm, "mm->futex.phash.hash_new", k.site(t));
    let r = true;
    if (mm.futex.hash_new) {
      const cur = mm.futex.hash;
      if (!cur) k.report("warn", "BUG: kernel NULL pointer dereference in futex_pivot_pending", t, "hash_new set, hash NULL");
      r = yield* futex_ref_is_dead(k, t, cur);
    }
    mutex_unlock(t, mm.futex.lock);
    return r;
  })());
}

/** futex_hash_less(a, b): a loses. Custom beats automatic, then 0-slot (global) wins, then bigger. */
export function futex_hash_less(k: Kernel, t: Task, a: FutexPrivateHash, b: FutexPrivateHash): boolean {
  k.heap.check(a, "futex_hash_less(a)", k.site(t));
  k.heap.check(b, "futex_hash_less(b)", k.site(t));
  if (!a.custom && b.custom) return true;
  if (a.custom && !b.custom) return false;
  if (!b.hash_mask) return true;
  if (!a.hash_mask) return false;
  return a.hash_mask < b.hash_mask;
}

/** kvzalloc(struct_size(fph, queues, hash_slots)): kvmalloc refuses sizes above INT_MAX. */
function kvzalloc_fph(k: Kernel, t: Task, mm: Mm, slots: number, custom: boolean): FutexPrivateHash | null {
  if (FPH_HEADER_SIZE + FUTEX_HB_SIZE * slots > INT_MAX) return null;
  return k.heap.alloc(new FutexPrivateHash(slots, slots ? slots - 1 : 0, mm, custom), k.site(t));
}

/** The open-coded wait [2026]: sleep until futex_pivot_pending() allows the prctl to go on. */
function* futex_hash_allocate_wait(k: Kernel, t: Task, mm: Mm): KGen {
  const e = add_var_wait_queue(k, t, mm);
  yield "futex_hash_allocate: add_wait_queue(__var_waitqueue(mm)); smp_mb()";
  while (!(yield* futex_pivot_pending(k, t, mm))) yield* wait_woken(e, "futex_hash_allocate: wait_woken(TASK_UNINTERRUPTIBLE)");
  remove_var_wait_queue(k, e);
}

/**
 * futex_hash_allocate(hash_slots, flags): 0, -EINVAL (1 or not a power of two), -EBUSY (the
 * global hash is installed for good), -ENOMEM. Returns 0 also when a better concurrent request
 * wins and this one's hash is thrown away.
 */
export function* futex_hash_allocate(k: Kernel, t: Task, hash_slots: number, flags: number): KGen<number> {
  return yield* frame(t, "futex_hash_allocate", (function* () {
    const mm = t.mm!;
    const custom = (flags & FH_CUSTOM) !== 0;
    if (hash_slots && (hash_slots === 1 || (hash_slots & (hash_slots - 1)) !== 0)) return EINVAL;

    // once the global hash is installed there is no way back
    yield "futex_hash_allocate: rcu_dereference(mm->futex.phash.hash)";
    k.heap.check(mm, "mm->futex.phash.hash", k.site(t));
    const early = mm.futex.hash;
    if (early) {
      k.heap.check(early, "fph->hash_mask", k.site(t));
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
    let fph = kvzalloc_fph(k, t, mm, hash_slots, custom);
    if (!fph) return ENOMEM;

    for (;;) {
      // only the prctl waits and retries; clone() is never delayed
      if (custom) yield* futex_hash_allocate_wait(k, t, mm);
      yield* mutex_lock(t, mm.futex.lock);
      yield "futex_hash_allocate: read mm->futex.phash.{hash,hash_new}";
      let to_free: FutexPrivateHash | null = null;
      const cur = mm.futex.hash;
      let nw = mm.futex.hash_new;
      mm.futex.hash_new = null;
      if (fph) {
        if (cur) k.heap.check(cur, "cur->hash_mask", k.site(t));
        if (cur && !cur.hash_mask) {
          // two requests for the global hash raced: the first switched, this one backs out
          mm.futex.hash_new = nw;
          kvfree(k, t, fph);
          mutex_unlock(t, mm.futex.lock);
          return EBUSY;
        }
        // a current hash and no replacement yet: start killing the current one
        if (cur && !nw) yield* futex_ref_drop(k, t, cur);
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
  })());
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
  return yield* frame(t, "futex_hash_allocate_default", (function* () {
    const mm = t.mm;
    if (!mm) return 0;
    yield "futex_hash_allocate_default: rcu_dereference(mm->futex.phash.hash)";
    let nr_threads = 0;
    for (const o of t.group.tasks) if (o.state !== "exited") nr_threads++;
    const threads = Math.min(nr_threads, k.cpus);
    let current_buckets = 0;
    k.heap.check(mm, "mm->futex.phash.hash", k.site(t));
    const fph = mm.futex.hash;
    if (fph) {
      k.heap.check(fph, "fph->custom", k.site(t));
      if (fph.custom) return 0;
      current_buckets = fph.hash_mask + 1;
    }
    const buckets = Math.min(Math.max(roundup_pow_of_two(4 * threads), 16), k.global.size);
    if (current_buckets >= buckets) return 0;
    return yield* futex_hash_allocate(k, t, buckets, 0);
  })());
}

/** futex_hash_prctl(arg2, arg3, arg4): PR_FUTEX_HASH_SET_SLOTS / PR_FUTEX_HASH_GET_SLOTS. */
export function* futex_hash_prctl(k: Kernel, t: Task, arg2: number, arg3: number, arg4: number): KGen<number> {
  switch (arg2) {
    case PR_FUTEX_HASH_SET_SLOTS:
      if (arg4) return EINVAL;
      return yield* futex_hash_allocate(k, t, arg3 >>> 0, FH_CUSTOM);
    case PR_FUTEX_HASH_GET_SLOTS:
      return yield* futex_hash_get_slots(k, t);
    default:
      return EINVAL;
  }
}
