// The simulated machine: CPUs, tasks, mms, the heap, RCU, deferred work and the sanitizer
// reports. One instance per run; nothing here is global.
import { Heap } from "./alloc.js";
import { Files } from "./memory.js";
import { Rcu } from "./rcu.js";
import { Task, ThreadGroup, tidOf } from "./task.js";
import { SpinLock, type LockOwner } from "./sched.js";
import { Panic, type Finding, type FindingKind } from "../sanitizers/report.js";
import type { Mm } from "./mm.js";
import { GlobalHash } from "./futex/hb.js";
import type { VarWaitEntry } from "./waitvar.js";
import { V7_2, type Seams } from "./seams.js";
import { NoHooks, type Hooks, type Observe } from "./hooks.js";
import { PHASE } from "./phase.js";
import { LIMITS } from "../program/events.js";

/** Code-path choices a run is started with: historical alternatives at the seams. */
export interface KernelOptions {
  seams?: Partial<Seams>;
  /** builds the hooks of this run (the executor's sanitizers; none in unit tests), given the observer */
  hooks?: (k: Kernel, observe: Observe | undefined) => Hooks;
  /** instrumentation: builds the Observe callback of this run (fuzzer state feedback, benchmarks) */
  observer?: (k: Kernel) => Observe;
  /** NUMA nodes (config nodes=N), 1 by default */
  nodes?: number;
}


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
  /**
   * the same tasks by program name tN (the executor's per-event lookup: an index, not a hash);
   * one slot per possible name, so a lookup never reads past the end (a slow path in V8)
   */
  readonly taskById: (Task | undefined)[] = new Array<Task | undefined>(LIMITS.tasks).fill(undefined);
  /** the same tasks in creation order, for the scheduler's loops (no iterator per point) */
  readonly taskList: Task[] = [];
  readonly mms: Mm[] = [];
  readonly global: GlobalHash;
  /** tasklist_lock (copy_process attaches a task under it) */
  readonly tasklist_lock = new SpinLock("tasklist_lock");
  /** deferred work (kworkers): mmput_async and friends */
  readonly work: Array<{ label: string; fn: () => void }> = [];
  /** the context rcu callbacks and work items run in (softirq / kworker) */
  readonly softirq: LockOwner & { cpu?: number } = { id: -1, frames: [], preemptCount: 0 };
  /** wait queue entries of wait_var_event-style waiters (wake_up_var) */
  readonly varWaiters: VarWaitEntry[] = [];
  /** the sanitizers and the fuzzer's observer watch the kernel through these */
  readonly hooks: Hooks;
  /** the code paths at the seams (v7.2 unless a bug switch installs a historical one) */
  readonly seams: Seams;
  /** the program event being run, or a phase around the events (phase.ts) */
  eventIndex: number = PHASE.boot;
  /** the executor's trace sink (null when tracing is off) */
  trace: TraceEntry[] | null = null;
  private nextMmId = 1;

  constructor(
    readonly cpus: number,
    opts: KernelOptions = {},
  ) {
    this.seams = { ...V7_2, ...opts.seams };
    const observe = opts.observer?.(this);
    this.hooks = opts.hooks ? opts.hooks(this, observe) : new NoHooks(observe);
    this.heap = new Heap(this.hooks);
    this.rcu = new Rcu(this.taskList);
    this.global = new GlobalHash(cpus, opts.nodes ?? 1);
  }

  mmId(): number {
    return this.nextMmId++;
  }

  newTask(id: number, group: ThreadGroup | null, mm: Mm | null, cpu: number): Task {
    const g = group ?? new ThreadGroup(tidOf(id));
    const t = new Task(id, tidOf(id), g, mm, cpu % this.cpus);
    g.tasks.add(t);
    this.tasks.set(id, t);
    this.taskById[id] = t;
    this.taskList.push(t);
    return t;
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
}

export function topFrame(ctx: LockOwner | null): string {
  return ctx && ctx.frames.length ? ctx.frames[ctx.frames.length - 1]! : "kernel";
}
