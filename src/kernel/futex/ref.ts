// kernel/futex/core.c "futex-ref" (56180dd20c19, 4cb5ac2626b5, d9b05321e21e): a dual
// per-CPU / atomic reference count on the private hash. A published hash counts in per-CPU
// `unsigned int`s; replacing it drops the initial reference and, one grace period after the
// hash was published, biases mm->futex.phash.atomic with LONG_MAX and switches the hash to
// FR_ATOMIC; one more grace period later the per-CPU sum is folded into the atomic
// (`count - LONG_MAX - 1`) and the counters are re-armed for the next hash.
import type { Kernel } from "../kernel.js";
import { OBS } from "../hooks.js";
import { mmget, mmput_async, type Mm } from "../mm.js";
import { run_atomic } from "../sched.js";
import { PercpuAdd, __this_cpu_add, smp_processor_id, this_cpu_inc, type CpuContext, type PercpuU32 } from "../percpu.js";
import { type KGen, type LockOwner } from "../sched.js";
import type { Task } from "../task.js";
import { wake_up_var } from "../waitvar.js";
import { FR_ATOMIC, FR_PERCPU, type FutexPrivateHash } from "./private.js";

export const LONG_MAX = (1n << 63n) - 1n;

/** atomic_long_t arithmetic: two's complement, 64 bits. */
function long(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** __this_cpu_inc/dec(*mm->futex.phash.ref) in futex_ref_get/put */
const REF_INC = new PercpuAdd(1, "*mm->futex.phash.ref");
const REF_DEC = new PercpuAdd(-1, "*mm->futex.phash.ref");

/** mm->futex.phash.ref; a NULL per-CPU pointer is an oops. */
function futex_ref_ptr(k: Kernel, ctx: LockOwner, mm: Mm): PercpuU32 {
  const r = mm.futex.ref;
  if (!r) k.report("warn", `BUG: kernel NULL pointer dereference in ${ctx.frames[ctx.frames.length - 1] ?? "futex"}`, ctx, "mm->futex.phash.ref is NULL");
  return r;
}

/** The futexRefHoldMm seam: take (hold) or drop (!hold) the transition's mm_users reference. */
export type FutexRefHoldMm = (k: Kernel, ctx: LockOwner, mm: Mm, hold: boolean) => void;

/**
 * The futex-ref transition's hold on the mm: futex_ref_drop() takes mmget(), the end of the
 * switch (__futex_ref_atomic_end) drops it with mmput_async(), so an exit during the transition
 * cannot free the mm under the queued RCU callback (v2 of 56180dd20c19).
 */
export function futex_ref_hold_mm(k: Kernel, ctx: LockOwner, mm: Mm, hold: boolean): void {
  if (hold) mmget(mm);
  else mmput_async(k, ctx, mm);
}

/**
 * v1 of "futex: Use RCU-based per-CPU reference counting instead of rcuref_t" (posted
 * 2025-07-08): neither futex_ref_drop() nor __futex_ref_atomic_end() touched mm_users. The
 * callback queued on mm->futex_rcu keeps no reference, so if the process exits before it runs it
 * runs on a freed mm_struct (v2 added mmget() / mmput_async(), "[bigeasy: ... mm get/ put_async]").
 */
export function futex_ref_hold_mm_v1(_k: Kernel, _ctx: LockOwner, _mm: Mm, _hold: boolean): void {}

/** guard(preempt): no migration, no other task on this CPU; also an RCU read-side section. */
function preempt_disable(k: Kernel, t: Task): void {
  t.preemptCount++;
  k.rcu.read_lock(t);
}

function preempt_enable(k: Kernel, t: Task): void {
  k.rcu.read_unlock(t);
  t.preemptCount--;
}

/** futex_ref_get(): per-CPU increment (cannot fail) or atomic_long_inc_not_zero. */
export function* futex_ref_get(k: Kernel, t: Task, fph: FutexPrivateHash): KGen<boolean> {
  t.frames.push("futex_ref_get");
  try {
    k.hooks.access(fph, "read fph->mm", t);
    const mm = fph.mm;
    preempt_disable(k, t);
    try {
      yield "futex_ref_get: READ_ONCE(fph->state)";
      k.hooks.access(fph, "READ_ONCE(fph->state)", t);
      k.hooks.observe?.(OBS.REF_GET, t, fph);
      if (fph.frState === FR_PERCPU) {
        k.hooks.access(mm, "mm->futex.phash.ref", t);
        yield* __this_cpu_add(k, t, futex_ref_ptr(k, t, mm), REF_INC);
        return true;
      }
      yield "futex_ref_get: atomic_long_inc_not_zero(&mm->futex.phash.atomic)";
      k.hooks.access(mm, "atomic_long_inc_not_zero(&mm->futex.phash.atomic)", t);
      k.hooks.observe?.(OBS.REF_ATOMIC, t, mm);
      if (mm.futex.atomic === 0n) return false;
      mm.futex.atomic = long(mm.futex.atomic + 1n);
      return true;
    } finally {
      preempt_enable(k, t);
    }
  } finally {
    t.frames.pop();
  }
}

/** futex_ref_put(): per-CPU decrement (returns false) or atomic_long_dec_and_test. */
export function* futex_ref_put(k: Kernel, t: Task, fph: FutexPrivateHash): KGen<boolean> {
  t.frames.push("futex_ref_put");
  try {
    k.hooks.access(fph, "read fph->mm", t);
    const mm = fph.mm;
    preempt_disable(k, t);
    try {
      yield "futex_ref_put: READ_ONCE(fph->state)";
      k.hooks.access(fph, "READ_ONCE(fph->state)", t);
      k.hooks.observe?.(OBS.REF_PUT, t, fph);
      if (fph.frState === FR_PERCPU) {
        k.hooks.access(mm, "mm->futex.phash.ref", t);
        yield* __this_cpu_add(k, t, futex_ref_ptr(k, t, mm), REF_DEC);
        return false;
      }
      yield "futex_ref_put: atomic_long_dec_and_test(&mm->futex.phash.atomic)";
      k.hooks.access(mm, "atomic_long_dec_and_test(&mm->futex.phash.atomic)", t);
      k.hooks.observe?.(OBS.REF_ATOMIC, t, mm);
      mm.futex.atomic = long(mm.futex.atomic - 1n);
      k.hooks.refAtomic(mm, "futex_ref_put", t);
      return mm.futex.atomic === 0n;
    } finally {
      preempt_enable(k, t);
    }
  } finally {
    t.frames.pop();
  }
}

/** futex_ref_is_dead(): FR_ATOMIC and the atomic count is 0 (two loads, two points). */
export function* futex_ref_is_dead(k: Kernel, ctx: LockOwner, fph: FutexPrivateHash): KGen<boolean> {
  ctx.frames.push("futex_ref_is_dead");
  try {
    yield "futex_ref_is_dead: smp_load_acquire(fph->state)";
    k.hooks.access(fph, "smp_load_acquire(fph->state)", ctx);
    if (fph.frState === FR_PERCPU) return false;
    yield "futex_ref_is_dead: atomic_long_read(&mm->futex.phash.atomic)";
    k.hooks.access(fph.mm, "atomic_long_read(&mm->futex.phash.atomic)", ctx);
    return fph.mm.futex.atomic === 0n;
  } finally {
    ctx.frames.pop();
  }
}

/** call_rcu_hurry(&mm->futex.phash.rcu, futex_ref_rcu): the callback runs on this CPU. */
function call_rcu_hurry_futex_ref(k: Kernel, ctx: CpuContext, mm: Mm): void {
  k.hooks.access(mm, "call_rcu_hurry(&mm->futex.phash.rcu)", ctx);
  if (mm.futex.rcuQueued)
    k.report("warn", `WARNING in ${ctx.frames[ctx.frames.length - 1] ?? "call_rcu"}: ODEBUG: activate active object type: rcu_head (futex_ref_rcu)`, ctx);
  mm.futex.rcuQueued = true;
  const cpu = smp_processor_id(ctx);
  k.rcu.call("futex_ref_rcu", () => {
    k.softirq.cpu = cpu;
    run_atomic(futex_ref_rcu(k, k.softirq, mm));
  });
}

/**
 * __futex_ref_atomic_begin(): bias the atomic with LONG_MAX (get/put never see 0 during the
 * switch), switch the hash to FR_ATOMIC, and fold after one more grace period.
 */
export function* __futex_ref_atomic_begin(k: Kernel, ctx: CpuContext, fph: FutexPrivateHash): KGen {
  ctx.frames.push("__futex_ref_atomic_begin");
  try {
    k.hooks.access(fph, "read fph->mm", ctx);
    const mm = fph.mm;
    yield "__futex_ref_atomic_begin: atomic_long_read(&mm->futex.phash.atomic)";
    k.hooks.access(mm, "atomic_long_read(&mm->futex.phash.atomic)", ctx);
    k.warnOn(mm.futex.atomic !== 0n, "mm->futex.phash.atomic != 0 when a switch begins", ctx);
    yield "__futex_ref_atomic_begin: atomic_long_set(&mm->futex.phash.atomic, LONG_MAX)";
    mm.futex.atomic = LONG_MAX;
    yield "__futex_ref_atomic_begin: smp_store_release(&fph->state, FR_ATOMIC)";
    k.hooks.access(fph, "smp_store_release(&fph->state)", ctx);
    fph.frState = FR_ATOMIC;
    call_rcu_hurry_futex_ref(k, ctx, mm);
  } finally {
    ctx.frames.pop();
  }
}

/**
 * __futex_ref_atomic_end(): sum and zero the per-CPU counters, re-arm this CPU's counter for
 * the next hash (0 -> 1), fold `count - LONG_MAX - 1` into the atomic; from here on
 * futex_ref_is_dead() can be true. Ends the transition's mm_users reference (mmput_async).
 */
function* __futex_ref_atomic_end(k: Kernel, ctx: CpuContext, fph: FutexPrivateHash): KGen {
  ctx.frames.push("__futex_ref_atomic_end");
  try {
    k.hooks.access(fph, "read fph->state", ctx);
    const mm = fph.mm;
    k.warnOn(fph.frState !== FR_ATOMIC, "fph->state != FR_ATOMIC", ctx);
    k.hooks.access(mm, "mm->futex.phash.ref", ctx);
    const ref = futex_ref_ptr(k, ctx, mm);
    let count = 0; // unsigned int
    for (let cpu = 0; cpu < ref.vals.length; cpu++) {
      yield `__futex_ref_atomic_end: per_cpu_ptr(mm->futex.phash.ref, ${cpu})`;
      k.hooks.access(ref, `per_cpu_ptr(mm->futex.phash.ref, ${cpu})`, ctx);
      count = (count + ref.vals[cpu]!) >>> 0;
      ref.vals[cpu] = 0;
    }
    this_cpu_inc(k, ctx, ref, "*mm->futex.phash.ref");
    yield "__futex_ref_atomic_end: atomic_long_add_return(count - LONG_MAX - 1)";
    const ret = long(mm.futex.atomic + (BigInt(count) - LONG_MAX - 1n));
    mm.futex.atomic = ret;
    if (ret === 0n) wake_up_var(k, mm);
    if (ret < 0n)
      k.report("refcount", "WARNING in __futex_ref_atomic_end: futex-ref fold below zero", ctx, `per-CPU sum ${count}, folded atomic ${ret}`);
    k.seams.futexRefHoldMm(k, ctx, mm, false); // mmput_async(mm)
  } finally {
    ctx.frames.pop();
  }
}

/**
 * futex_ref_rcu() (RCU callback, softirq): on the CURRENT hash, either begin the switch (the
 * grace period after publishing just ended) or end it (the grace period after FR_ATOMIC).
 */
export function* futex_ref_rcu(k: Kernel, ctx: CpuContext, mm: Mm): KGen {
  ctx.frames.push("futex_ref_rcu");
  try {
    k.hooks.access(mm, "container_of(head, struct mm_struct, futex.phash.rcu)", ctx);
    mm.futex.rcuQueued = false;
    const fph = mm.futex.hash;
    if (!fph) return k.report("warn", "BUG: kernel NULL pointer dereference in futex_ref_rcu", ctx, "mm->futex.phash.hash is NULL");
    k.hooks.access(fph, "fph->state", ctx);
    if (fph.frState === FR_PERCPU) return yield* __futex_ref_atomic_begin(k, ctx, fph);
    yield* __futex_ref_atomic_end(k, ctx, fph);
  } finally {
    ctx.frames.pop();
  }
}

/** The futexRefDrop seam (mm->futex.phash.lock held). */
export type FutexRefDrop = (k: Kernel, t: Task, fph: FutexPrivateHash) => KGen;

/**
 * futex_ref_drop() (mm->futex.phash.lock held): drop the initial reference of the current hash
 * and start its switch to atomic. A full grace period must separate publishing a hash and
 * biasing the shared atomic; mmget keeps the mm until the transition ends.
 */
export function* futex_ref_drop(k: Kernel, t: Task, fph: FutexPrivateHash): KGen {
  t.frames.push("futex_ref_drop");
  try {
    k.hooks.access(fph, "read fph->mm", t);
    const mm = fph.mm;
    yield "futex_ref_drop: rcu_dereference_raw(mm->futex.phash.hash)";
    k.hooks.access(mm, "rcu_dereference_raw(mm->futex.phash.hash)", t);
    k.warnOn(mm.futex.hash !== fph, "futex_ref_drop on a hash that is not mm->futex.phash.hash", t);
    k.seams.futexRefHoldMm(k, t, mm, true); // mmget(mm)
    yield "futex_ref_drop: poll_state_synchronize_rcu(mm->futex.phash.batches)";
    if (k.rcu.poll_state(mm.futex.batches)) return yield* __futex_ref_atomic_begin(k, t, fph);
    call_rcu_hurry_futex_ref(k, t, mm);
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_ref_drop() without the mm->futex_batches grace-period check (before 56180dd20c19 as
 * merged; its code comment describes the race): the switch to atomic begins at once. The
 * LONG_MAX bias lands on the atomic that all of the mm's hashes share, so a task that loaded the
 * previous (dead, FR_ATOMIC) hash under RCU before the pivot gets inc_not_zero to succeed on it
 * and queues on a table that was already rehashed and is being freed.
 */
export function* futex_ref_drop_pre_futex_batches(k: Kernel, t: Task, fph: FutexPrivateHash): KGen {
  t.frames.push("futex_ref_drop");
  try {
    k.hooks.access(fph, "read fph->mm", t);
    const mm = fph.mm;
    yield "futex_ref_drop: rcu_dereference_raw(mm->futex_phash)";
    k.hooks.access(mm, "rcu_dereference_raw(mm->futex_phash)", t);
    k.warnOn(mm.futex.hash !== fph, "futex_ref_drop on a hash that is not mm->futex_phash", t);
    k.seams.futexRefHoldMm(k, t, mm, true); // mmget(mm)
    yield "futex_ref_drop: __futex_ref_atomic_begin";
    yield* __futex_ref_atomic_begin(k, t, fph);
  } finally {
    t.frames.pop();
  }
}
