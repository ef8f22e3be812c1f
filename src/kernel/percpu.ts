// Per-CPU data (mm/percpu.c, include/linux/percpu-defs.h): alloc_percpu / free_percpu of an
// `unsigned int` and the this_cpu operations futex-ref uses. Each CPU's slot is a u32 that may
// wrap; only the sum over all possible CPUs means anything, as in the kernel.
import { KObj } from "./alloc.js";
import type { Kernel } from "./kernel.js";
import { OBS } from "./hooks.js";
import type { KGen, LockOwner } from "./sched.js";

/** `unsigned int __percpu *`: one u32 per possible CPU. */
export class PercpuU32 extends KObj {
  readonly vals: Uint32Array;
  constructor(cpus: number) {
    super("unsigned int __percpu", 4, true);
    this.vals = new Uint32Array(cpus);
  }
}

/** The CPU a context runs on: a task's CPU, or the CPU a softirq / kworker was raised on. */
export interface CpuContext extends LockOwner {
  cpu?: number;
}

/** smp_processor_id() */
export function smp_processor_id(ctx: CpuContext): number {
  return ctx.cpu ?? 0;
}

/** alloc_percpu(unsigned int): zeroed; null when the allocation fails (fault injection). */
export function alloc_percpu(k: Kernel, ctx: LockOwner): PercpuU32 | null {
  return k.heap.alloc(new PercpuU32(k.cpus), ctx);
}

/** free_percpu(): NULL is a no-op. */
export function free_percpu(k: Kernel, ctx: LockOwner, p: PercpuU32 | null): void {
  if (p) k.heap.free(p, ctx);
}

/** this_cpu_inc(): one preempt- and irq-safe read-modify-write on the current CPU's slot. */
export function this_cpu_inc(k: Kernel, ctx: CpuContext, p: PercpuU32, what: string): void {
  k.hooks.access(p, `this_cpu_inc(${what})`, ctx);
  const cpu = smp_processor_id(ctx);
  p.vals[cpu] = (p.vals[cpu]! + 1) >>> 0;
  k.hooks.observe?.(OBS.PERCPU_RMW, ctx, p);
}

/** One __this_cpu_inc/__this_cpu_dec site: the counter it names and its labels, built once. */
export class PercpuAdd {
  readonly loadPoint: string;
  readonly storePoint: string;
  readonly loadAccess: string;
  readonly storeAccess: string;
  constructor(
    readonly delta: 1 | -1,
    /** the counter as the source names it, e.g. `*mm->futex.phash.ref` */
    what: string,
  ) {
    const op = `${delta > 0 ? "__this_cpu_inc" : "__this_cpu_dec"}(${what})`;
    this.loadPoint = `${op}: load`;
    this.storePoint = `${op}: store`;
    this.loadAccess = `${op} load`;
    this.storeAccess = `${op} store`;
  }
}

/**
 * __this_cpu_add(): the non-atomic per-CPU read-modify-write, as two preemption points (load,
 * then store). The caller must have preemption disabled: the slot address is computed once, so
 * a migration between the two points would store a stale value into the old CPU's slot.
 */
export function* __this_cpu_add(k: Kernel, ctx: CpuContext, p: PercpuU32, site: PercpuAdd): KGen {
  yield site.loadPoint;
  k.hooks.access(p, site.loadAccess, ctx);
  const cpu = smp_processor_id(ctx);
  const v = p.vals[cpu]!;
  yield site.storePoint;
  k.hooks.access(p, site.storeAccess, ctx);
  p.vals[cpu] = (v + site.delta) >>> 0;
  k.hooks.observe?.(OBS.PERCPU_RMW, ctx, p);
}

/** The u32 sum of all slots (for sanitizers and tests; the kernel folds it in __futex_ref_atomic_end). */
export function percpu_sum(p: PercpuU32): number {
  let s = 0;
  for (const v of p.vals) s = (s + v) >>> 0;
  return s;
}
