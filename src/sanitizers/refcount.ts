// The refcount sanitizer for the private hash: its shadow is how many futex_private_hash
// references each context holds. A put without a get underflows; a reference still held when a
// syscall returns to user space leaked (references only live around bucket operations). The
// atomic-mode count must never go below zero once unbiased: __futex_ref_atomic_begin adds the
// LONG_MAX bias, so a biased count that get/put wrapped sits near LONG_MIN, far from the small
// negative values of a real underflow.
import type { Kernel } from "../kernel/kernel.js";
import type { Mm } from "../kernel/mm.js";
import type { LockOwner } from "../kernel/sched.js";
import type { Task } from "../kernel/task.js";

/** beyond this magnitude an atomic count carries the LONG_MAX bias (no real count gets there) */
const BIAS_FLOOR = 1n << 62n;

/** mm->futex.phash.atomic holds the LONG_MAX bias of an atomic-mode switch in progress */
export function atomicBiased(a: bigint): boolean {
  return a > BIAS_FLOOR || a < -BIAS_FLOOR;
}

export class RefcountShadow {
  private readonly counts = new Map<LockOwner, number>();

  constructor(private readonly k: Kernel) {}

  held(ctx: LockOwner): number {
    return this.counts.get(ctx) ?? 0;
  }

  get(ctx: LockOwner): void {
    this.counts.set(ctx, (this.counts.get(ctx) ?? 0) + 1);
  }

  put(ctx: LockOwner): void {
    const n = (this.counts.get(ctx) ?? 0) - 1;
    if (n < 0) this.k.report("refcount", "refcount: futex_private_hash_put without a matching get", ctx);
    this.counts.set(ctx, n);
  }

  /** a reference ctx took is dropped by `to` (q->drop_fph: the waker takes it for the waiter) */
  transfer(from: LockOwner, to: LockOwner): void {
    this.counts.set(from, (this.counts.get(from) ?? 0) - 1);
    this.counts.set(to, (this.counts.get(to) ?? 0) + 1);
  }

  userReturn(t: Task): void {
    const n = this.counts.get(t) ?? 0;
    if (n !== 0)
      this.k.report("refcount", `refcount: ${n} futex private hash reference(s) held on return to user space`, { id: t.id, frames: [...t.frames], preemptCount: 0 });
  }

  atomic(mm: Mm, op: string, ctx: LockOwner): void {
    const a = mm.futex.atomic;
    if (a < 0n && !atomicBiased(a)) this.k.report("refcount", `refcount: mm->futex.phash.atomic underflow in ${op}`, ctx, `atomic = ${a}`);
  }
}
