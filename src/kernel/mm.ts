// kernel/fork.c mm lifecycle: mm_alloc/mm_init, mmget/mmput/__mmput/mmput_async,
// mmdrop/__mmdrop, dup_mm.
import { KObj } from "./alloc.js";
import { AddressSpace } from "./memory.js";
import { inFrame, run_atomic, type KGen, type LockOwner } from "./sched.js";
import type { Kernel } from "./kernel.js";
import { OBS } from "./hooks.js";
import { MmFutex } from "./futex/private.js";

/** struct mm_struct (the parts this simulator needs). */
export class Mm extends KObj {
  /** mm_users: address-space users (threads, mmget) */
  users = 1;
  /** mm_count: references to the struct itself (mmgrab); the users together hold one */
  count = 1;
  as = new AddressSpace();
  /** the futex fields (mm->futex.*) */
  futex = new MmFutex();
  /**
   * vDSO robust-unlock critical section (mm->futex.unlock.cs_ranges[0]): its start IP, length
   * UNLOCK_CS_LEN (vdso.ts). 0 = invalid (the kernel's ~0): set when the vDSO is mapped (boot,
   * exec), copied by dup_mm, never valid in a fresh mm_alloc.
   */
  unlockRange = 0;
  constructor(readonly id: number) {
    super("struct mm_struct", 1024);
  }
}

/** mm_alloc() + mm_init(): a fresh mm, or null when an allocation fails. */
export function* mm_alloc(k: Kernel, ctx: LockOwner): KGen<Mm | null> {
  ctx.frames.push("mm_alloc");
  try {
    yield "mm_alloc: allocate_mm";
    const mm = k.heap.alloc(new Mm(k.mmId()), ctx);
    if (!mm) return null;
    k.mms.push(mm);
    if (!(yield* mm_init(k, ctx, mm))) {
      k.heap.free(mm, ctx);
      return null;
    }
    return mm;
  } finally {
    ctx.frames.pop();
  }
}

/** mm_init(): reset what must not be shared (futex_mm_init). */
export function* mm_init(k: Kernel, ctx: LockOwner, mm: Mm): KGen<boolean> {
  ctx.frames.push("mm_init");
  try {
    yield "mm_init: futex_mm_init";
    return k.seams.futexMmInit(k, ctx, mm);
  } finally {
    ctx.frames.pop();
  }
}

export function mmget(mm: Mm): void {
  mm.users++;
}

/** mmput(): drop a user; the last one tears the address space down (__mmput). */
export function* mmput(k: Kernel, ctx: LockOwner, mm: Mm): KGen {
  ctx.frames.push("mmput");
  try {
    yield MMPUT_POINT;
    if (mmput_dec_and_test(k, ctx, mm)) yield* __mmput(k, ctx, mm);
  } finally {
    ctx.frames.pop();
  }
}

/** mmput()'s one preemption point (do_exit runs mmput inline, in its own mmput frame) */
export const MMPUT_POINT = "mmput: atomic_dec_and_test(mm_users)";

/** mmput()'s atomic_dec_and_test(&mm->mm_users), after its point: true for the last user. */
export function mmput_dec_and_test(k: Kernel, ctx: LockOwner, mm: Mm): boolean {
  k.hooks.access(mm, "mm_users decrement", ctx);
  mm.users--;
  k.warnOn(mm.users < 0, "mm_users underflow", ctx);
  return mm.users === 0;
}

/** mmput_async(): same, with __mmput deferred to a kworker (safe from atomic context). */
export function mmput_async(k: Kernel, ctx: LockOwner, mm: Mm): void {
  k.hooks.access(mm, "mm_users decrement", ctx);
  mm.users--;
  k.warnOn(mm.users < 0, "mm_users underflow", ctx);
  if (mm.users === 0) k.work.push({ label: "mmput_async_fn", fn: () => run_atomic(__mmput(k, k.softirq, mm)) });
}

/** __mmput(): exit_mmap, futex_hash_free (v7.2: here again, see d9b05321e21e; the seam futexHashFreeSite), mmdrop. */
export function* __mmput(k: Kernel, ctx: LockOwner, mm: Mm): KGen {
  ctx.frames.push("__mmput");
  try {
    yield "__mmput: exit_mmap";
    mm.as = new AddressSpace();
    yield "__mmput: futex_hash_free";
    k.hooks.observe?.(OBS.MM_FREE, ctx, mm);
    k.seams.futexHashFreeSite.__mmput(k, ctx, mm);
    mmdrop(k, ctx, mm);
  } finally {
    ctx.frames.pop();
  }
}

/** mmdrop(): drop a reference to the struct; the last one frees it (__mmdrop). */
export function mmdrop(k: Kernel, ctx: LockOwner, mm: Mm): void {
  k.hooks.access(mm, "mm_count decrement", ctx);
  mm.count--;
  k.warnOn(mm.count < 0, "mm_count underflow", ctx);
  if (mm.count === 0) {
    inFrame(ctx, "__mmdrop", () => {
      k.seams.futexHashFreeSite.__mmdrop(k, ctx, mm);
      k.heap.free(mm, ctx);
    });
  }
}

/** mmgrab() / mmgrab_lazy_tlb(): a reference to the struct (mm_count), not to the address space. */
export function mmgrab(k: Kernel, ctx: LockOwner, mm: Mm): void {
  k.hooks.access(mm, "mm_count increment", ctx);
  mm.count++;
}

/** dup_mm(): allocate, copy the parent (memcpy), mm_init the copy, copy the mappings. */
export function* dup_mm(k: Kernel, ctx: LockOwner, old: Mm): KGen<Mm | null> {
  ctx.frames.push("dup_mm");
  try {
    yield "dup_mm: allocate_mm";
    const mm = k.heap.alloc(new Mm(k.mmId()), ctx);
    if (!mm) return null;
    k.mms.push(mm);
    // memcpy(mm, oldmm): everything mm_init does not reset is the parent's
    k.hooks.observe?.(OBS.DUP_MM, ctx, old);
    mm.futex = old.futex.memcpy();
    mm.unlockRange = old.unlockRange;
    if (!(yield* mm_init(k, ctx, mm))) {
      k.heap.free(mm, ctx);
      return null;
    }
    yield "dup_mm: dup_mmap";
    mm.as = old.as.copy();
    k.hooks.mmapCopied(old.as, mm.as);
    return mm;
  } finally {
    ctx.frames.pop();
  }
}
