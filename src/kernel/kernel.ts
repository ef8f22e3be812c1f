// The simulated machine: CPUs, tasks, mms, the heap, RCU, deferred work and the sanitizer
// reports. One instance per run; nothing here is global.
import { Heap, type AllocSite, type HeapEvent, type KObj } from "./alloc.js";
import { Files } from "./memory.js";
import { Rcu } from "./rcu.js";
import { Task, ThreadGroup, tidOf } from "./task.js";
import type { LockOwner } from "./sched.js";
import { Panic, type Finding, type FindingKind } from "../sanitizers/report.js";
import type { Mm } from "./mm.js";
import { GlobalHash, type FutexQ } from "./futex/core.js";
import type { VarWaitEntry } from "./waitvar.js";
import { V7_2, type Seams } from "./seams.js";
import { RobustShadow } from "../sanitizers/robust.js";

/** Code-path choices a run is started with: historical alternatives at the seams. */
export interface KernelOptions {
  seams?: Partial<Seams>;
  /** instrumentation: builds the Kernel.observe callback of this run (fuzzer state feedback, benchmarks) */
  observer?: (k: Kernel) => Observe;
}

/**
 * Instrumentation callback: told at a few sites that a transition happened (`site` is one of
 * OBS; `ctx` the context that runs it; `obj` the object it is about: a private hash, an mm, a
 * per-CPU counter, or for OBS.ROBUST_PENDING the user address). It must only read state: it
 * never changes what the simulated kernel does. Unset in normal runs.
 */
export type Observe = (site: number, ctx: LockOwner | null, obj?: object | number) => void;

/** The observation sites (Kernel.observe). */
export const OBS = {
  /** futex_ref_get after READ_ONCE(fph->state); obj = the private hash */
  REF_GET: 1,
  /** futex_ref_put after READ_ONCE(fph->state); obj = the private hash */
  REF_PUT: 2,
  /** a read-modify-write of mm->futex.phash.atomic by get/put (FR_ATOMIC); obj = the mm */
  REF_ATOMIC: 3,
  /** a this_cpu_inc / __this_cpu_add store on a per-CPU counter; obj = the PercpuU32 */
  PERCPU_RMW: 4,
  /** futex_hash_allocate with mm->futex.phash.lock held, before it changes anything; obj = the mm */
  HASH_ALLOC: 5,
  /** __futex_pivot_hash entry; obj = the mm */
  PIVOT: 6,
  /** dup_mm copying the parent; obj = the parent mm */
  DUP_MM: 7,
  /** futex_hash_free from __mmput; obj = the mm */
  MM_FREE: 8,
  /** exit_robust_list about to handle list_op_pending; ctx = the dying task, obj = the futex word address */
  ROBUST_PENDING: 9,
  /** (executor) an interrupt of user mode is delivered to ctx */
  IRQ: 10,
  /** (executor) every event has run and the kernel drained: the state before teardown */
  QUIESCENT: 11,
  /** (executor) an event is about to run; obj = its index in the event table */
  EVENT: 13,
  /** (scheduler) an RCU callback or a work item runs; obj = its frames (["rcu_do_batch", label]) */
  DEFERRED: 15,
} as const;

export interface TraceEntry {
  task: number;
  cpu: number;
  label: string;
  /** the event index the point belongs to (the scheduler's current program event) */
  event: number;
}

export class Kernel {
  readonly heap: Heap;
  readonly rcu: Rcu;
  readonly files = new Files();
  readonly tasks = new Map<number, Task>();
  /** the same tasks in creation order, for the scheduler's loops (no iterator per point) */
  readonly taskList: Task[] = [];
  readonly mms: Mm[] = [];
  readonly global: GlobalHash;
  /** deferred work (kworkers): mmput_async and friends */
  readonly work: Array<{ label: string; fn: () => void }> = [];
  /** the context rcu callbacks and work items run in (softirq / kworker) */
  readonly softirq: LockOwner & { cpu?: number } = { id: -1, frames: [], preemptCount: 0 };
  /** wait queue entries of wait_var_event-style waiters (wake_up_var) */
  readonly varWaiters: VarWaitEntry[] = [];
  /** sanitizer shadow: private-hash references each context holds (futex_private_hash_get/put) */
  readonly fphRefs = new Map<LockOwner, number>();
  /** futex waiters asleep in futex_wait, for the lost-waiter sanitizer */
  readonly sleepers = new Map<Task, FutexQ>();
  /** the robust-list sanitizer's shadow of the user-space robust mutex protocol */
  readonly robustShadow = new RobustShadow();
  /** the code paths at the seams (v7.2 unless a bug switch installs a historical one) */
  readonly seams: Seams;
  /** the program event being run (-1: drain, -2: teardown) */
  eventIndex = 0;
  /** the executor's trace sink (null when tracing is off) */
  trace: TraceEntry[] | null = null;
  /** instrumentation (see Observe); undefined unless a run asked for it */
  readonly observe: Observe | undefined;
  private nextMmId = 1;

  constructor(
    readonly cpus: number,
    opts: KernelOptions = {},
  ) {
    this.seams = { ...V7_2, ...opts.seams };
    this.heap = new Heap((e) => this.heapReport(e));
    this.rcu = new Rcu(this.taskList);
    this.global = new GlobalHash(cpus);
    this.observe = opts.observer?.(this);
  }

  mmId(): number {
    return this.nextMmId++;
  }

  newTask(id: number, group: ThreadGroup | null, mm: Mm | null, cpu: number): Task {
    const g = group ?? new ThreadGroup(tidOf(id));
    const t = new Task(id, tidOf(id), g, mm, cpu % this.cpus);
    g.tasks.add(t);
    this.tasks.set(id, t);
    this.taskList.push(t);
    return t;
  }

  site(ctx: LockOwner | null): AllocSite {
    return { stack: ctx ? ctx.frames : [], event: this.eventIndex };
  }

  /** Report a finding and stop the simulated kernel (panic_on_warn). */
  report(kind: FindingKind, title: string, ctx: LockOwner | null, report?: string): never {
    const f: Finding = { kind, title, stack: ctx ? [...ctx.frames] : [], event: this.eventIndex };
    if (ctx && ctx.id >= 0) f.task = ctx.id;
    if (report) f.report = report;
    throw new Panic(f);
  }

  /** WARN_ON_ONCE(cond) of the real code. */
  warnOn(cond: boolean, what: string, ctx: LockOwner | null): void {
    if (cond) this.report("warn", `WARNING in ${topFrame(ctx)}: ${what}`, ctx);
  }

  private heapReport(e: HeapEvent): never {
    const where = e.site.stack.length ? e.site.stack[e.site.stack.length - 1]! : "unknown";
    const lines = [
      `${e.what === "use-after-free" ? `${e.access} of` : "free of"} ${describeObj(e.obj)}`,
      `allocated at event ${e.obj.allocEvent} by: ${callers(e.obj.allocStack) || "?"}`,
    ];
    if (e.obj.freeStack) lines.push(`freed at event ${e.obj.freeEvent} by: ${callers(e.obj.freeStack) || "?"}`);
    const ctx: LockOwner = { id: -1, frames: [...e.site.stack], preemptCount: 0 };
    const kind: FindingKind = e.what;
    const title = `KASAN: ${e.what === "use-after-free" ? "slab-use-after-free" : e.what} in ${where}`;
    const f: Finding = { kind, title, stack: ctx.frames, event: e.site.event, report: lines.join("\n") };
    throw new Panic(f);
  }
}

export function describeObj(o: KObj): string {
  return `${o.type} #${o.hid} (${o.size} bytes${o.percpu ? ", percpu" : ""})`;
}

export function topFrame(ctx: LockOwner | null): string {
  return ctx && ctx.frames.length ? ctx.frames[ctx.frames.length - 1]! : "kernel";
}

/** A simulated stack (outermost first) as `innermost <- caller <- ...`, the way KASAN prints it. */
export function callers(stack: readonly string[]): string {
  return [...stack].reverse().join(" <- ");
}
