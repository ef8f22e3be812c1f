// execute(program, {bugs}) -> verdict. Runs the events in order on a fresh simulated kernel,
// drains, checks quiescence, tears down, and runs the end-of-run sanitizers.
import { type EventOf, type SyscallName } from "../program/events.js";
import { printEvent, printEventBody } from "../program/text.js";
import type { Event, Program } from "../program/types.js";
import { Kernel, type TraceEntry } from "../kernel/kernel.js";
import { OBS } from "../kernel/hooks.js";
import { SYSCALLS, type Syscall } from "../kernel/syscalls.js";
import { kill_everything, start_kernel } from "../kernel/entry.js";
import { PHASE } from "../kernel/phase.js";
import type { KernelOptions } from "../kernel/kernel.js";
import type { SyscallRestart, Task } from "../kernel/task.js";
import type { KGen } from "../kernel/sched.js";
import { NO_BUGS, type BugSet } from "../bugs/switches.js";
import { seamsFor } from "../bugs/registry.js";
import { Panic, type Finding } from "../sanitizers/report.js";
import { Sanitizers } from "../sanitizers/sanitizers.js";
import { BudgetExceeded, Scheduler } from "./scheduler.js";
import { runControl, type ControlCtx } from "./control.js";

export interface SyscallResult {
  task: number;
  /** the event's canonical text without the task and without `@k` */
  event: string;
  /** the value returned to user space; null when it never returned (killed, stuck, exited) */
  ret: number | null;
}

export interface Verdict {
  findings: Finding[];
  syscalls: SyscallResult[];
  trace: TraceEntry[];
  stats: {
    points: number;
    events: number;
    skipped: number;
    /** the step budget ran out without a task stuck in the kernel: a harness limit, no verdict */
    limit: boolean;
  };
}

export interface ExecOptions {
  bugs?: BugSet;
  trace?: boolean;
  /** preemption points per run before the executor gives up */
  budget?: number;
  /** kernel code-path choices (tests select historical paths at their seams with this) */
  kernel?: Omit<KernelOptions, "hooks">;
}

/**
 * Each syscall-form event kind's implementation, by name; control kinds are absent. One Map
 * lookup per event tells the form and finds the code (the registry's kindOf plus a keyed load
 * of SYSCALLS, a megamorphic access, cost a visible share of a cheap event).
 */
const SYSCALL_BY_OP: ReadonlyMap<string, Syscall<SyscallName>> = new Map(Object.entries(SYSCALLS));

/** `impl` is SYSCALL_BY_OP's entry for ev.op: it exists exactly for the syscall-form kinds. */
function isSyscallOf(ev: Event, impl: Syscall<SyscallName> | undefined): ev is EventOf<SyscallName> {
  return impl !== undefined;
}

export const DEFAULT_BUDGET = 100_000;
/** no single event of a working kernel needs this many preemption points */
export const STUCK_POINTS = 5_000;

export function execute(p: Program, opts: ExecOptions = {}): Verdict {
  return new Run(p, opts).go();
}

/**
 * A syscall the run made, with its event (printed into a SyscallResult when read). It is also
 * what a -ERESTART* return re-runs (signal.ts syscall_restart: the same call from its start), so
 * a syscall costs one object, not an object and a closure.
 */
interface CallRecord extends SyscallRestart {
  readonly task: number;
  readonly ev: Event;
  ret: number | null;
}

class Call<N extends SyscallName> implements CallRecord {
  ret: number | null = null;
  constructor(
    readonly task: number,
    readonly ev: EventOf<N>,
    private readonly impl: Syscall<N>,
    private readonly k: Kernel,
    private readonly t: Task,
  ) {}

  restart(): KGen<number | null> {
    return this.impl.run(this.k, this.t, this.ev.args);
  }
}

/**
 * A verdict whose `syscalls` are printed on first read: a fuzz target only looks at the
 * findings, and printing every event's text was a measurable share of an execution. (A class:
 * an object literal with its own getter cost ~10 % of an empty program's execution to create.)
 * `toJSON` gives the plain shape, syscalls included.
 */
class RunVerdict implements Verdict {
  readonly findings: Finding[] = [];
  readonly trace: TraceEntry[] = [];
  readonly stats = { points: 0, events: 0, skipped: 0, limit: false };
  #printed: SyscallResult[] | null = null;
  readonly #calls: readonly CallRecord[];

  constructor(calls: readonly CallRecord[]) {
    this.#calls = calls;
  }

  get syscalls(): SyscallResult[] {
    return (this.#printed ??= this.#calls.map((c) => ({ task: c.task, event: printEventBody(c.ev), ret: c.ret })));
  }

  toJSON(): Verdict {
    return { findings: this.findings, syscalls: this.syscalls, trace: this.trace, stats: this.stats };
  }
}

class Run implements ControlCtx {
  readonly k: Kernel;
  readonly sched: Scheduler;
  /** the syscalls made, in order; printed into Verdict.syscalls only when someone reads them */
  private readonly calls: CallRecord[] = [];
  readonly v: Verdict = new RunVerdict(this.calls);

  constructor(
    private readonly p: Program,
    opts: ExecOptions,
  ) {
    this.k = new Kernel(p.cpus, {
      ...opts.kernel,
      nodes: p.nodes ?? 1,
      seams: { ...seamsFor(opts.bugs ?? NO_BUGS), ...opts.kernel?.seams },
      hooks: (k, observe) => new Sanitizers(k, observe),
    });
    if (opts.trace) this.k.trace = this.v.trace;
    this.sched = new Scheduler(this.k, opts.budget ?? DEFAULT_BUDGET, (t, ret) => this.returned(t, ret));
  }

  go(): Verdict {
    try {
      start_kernel(this.k);
      const events = this.p.events;
      for (let i = 0; i < events.length; i++) {
        const ev = events[i]!;
        this.sched.eventBoundary(i, ev.op);
        this.event(ev);
      }
      this.k.eventIndex = PHASE.drain;
      this.sched.drain();
      this.k.hooks.observe?.(OBS.QUIESCENT, null);
      this.k.hooks.quiescent();
      this.k.eventIndex = PHASE.teardown;
      kill_everything(this.k);
      this.sched.quiesce();
      this.k.hooks.tornDown(this.k, (t) => this.sched.blockedLabel(t));
    } catch (e) {
      if (e instanceof Panic) this.v.findings.push(e.finding);
      else if (e instanceof BudgetExceeded) this.budgetExceeded();
      else throw e;
    }
    this.v.stats.points = this.sched.points;
    return this.v;
  }

  private note(text: string): void {
    this.k.trace?.push({ task: -1, cpu: -1, label: `# ${text}`, event: this.k.eventIndex });
  }

  skip(ev: Event, why: string | (() => string)): void {
    this.v.stats.skipped++;
    if (this.k.trace) this.note(`skipped '${printEvent(ev)}': ${typeof why === "string" ? why : why()}`);
  }

  private returned(t: Task, ret: number | null): void {
    if (t.inFlight >= 0) this.calls[t.inFlight]!.ret = ret;
    t.inFlight = -1;
  }

  live(ev: Event): Task | null {
    const t = ev.task === undefined ? undefined : this.k.taskById[ev.task];
    if (!t || t.state === "exited") {
      this.skip(ev, () => `t${ev.task} does not exist`);
      return null;
    }
    return t;
  }

  private event(ev: Event): void {
    const impl = SYSCALL_BY_OP.get(ev.op);
    if (isSyscallOf(ev, impl)) return this.syscall(ev, impl!);
    this.v.stats.events++;
    runControl(this, ev);
  }

  private syscall<N extends SyscallName>(ev: EventOf<N>, impl: Syscall<N>): void {
    const t = this.live(ev);
    if (!t) return;
    if (t.state === "busy" && !this.sched.complete(t))
      return this.skip(ev, () => `${t.name} is blocked in ${this.sched.blockedLabel(t) ?? "the kernel"}`);
    if (t.state !== "user") return this.skip(ev, () => `${t.name} has exited`);
    const why = impl.precondition?.(this.k, t, ev.args);
    if (why) return this.skip(ev, why);
    this.v.stats.events++;
    const call = new Call(t.id, ev, impl, this.k, t);
    t.inFlight = this.calls.push(call) - 1;
    t.state = "busy";
    t.pointsInEvent = 0;
    t.gen = impl.run(this.k, t, ev.args);
    t.restartSyscall = call;
    t.restartBlock = null;
    this.sched.runUntil(t, ev.stop ?? Infinity);
  }

  private budgetExceeded(): void {
    // a task that spent most of the budget inside one event is looping in the kernel (a soft
    // lockup); otherwise the program was merely long
    const floor = Math.max(this.sched.budget / 2, STUCK_POINTS);
    const stuck = this.k.taskList.find((t) => t.state === "busy" && t.pointsInEvent >= floor);
    if (!stuck) {
      this.v.stats.limit = true;
      return;
    }
    this.v.findings.push({
      kind: "hung-task",
      title: `INFO: task ${stuck.name} stuck in the kernel for ${stuck.pointsInEvent} preemption points`,
      stack: [...stuck.frames],
      event: this.k.eventIndex,
      task: stuck.id,
    });
  }
}
