// execute(program, {bugs}) -> verdict. Runs the events in order on a fresh simulated kernel,
// drains, checks quiescence, tears down, and runs the end-of-run sanitizers.
import { isSyscall, kindIndex, type EventOf, type SyscallName } from "../program/events.js";
import { printEvent, printEventBody } from "../program/text.js";
import type { Event, Program } from "../program/types.js";
import { Kernel, OBS, type TraceEntry } from "../kernel/kernel.js";
import { mm_alloc, runToEnd } from "../kernel/mm.js";
import { SYSCALLS, type Syscall } from "../kernel/syscalls.js";
import { kick_killed, send_signal } from "../kernel/signal.js";
import { map_vdso } from "../kernel/vdso.js";
import type { KernelOptions } from "../kernel/kernel.js";
import type { Task } from "../kernel/task.js";
import { NO_BUGS, type BugSet } from "../bugs/switches.js";
import { seamsFor } from "../bugs/registry.js";
import { Panic, type Finding } from "../sanitizers/report.js";
import { checkQuiescence, checkTeardown } from "../sanitizers/end.js";
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
  kernel?: KernelOptions;
}

export const DEFAULT_BUDGET = 100_000;
/** no single event of a working kernel needs this many preemption points */
export const STUCK_POINTS = 5_000;

export function execute(p: Program, opts: ExecOptions = {}): Verdict {
  return new Run(p, opts).go();
}

class Run implements ControlCtx {
  readonly k: Kernel;
  readonly sched: Scheduler;
  readonly v: Verdict = { findings: [], syscalls: [], trace: [], stats: { points: 0, events: 0, skipped: 0, limit: false } };

  constructor(
    private readonly p: Program,
    opts: ExecOptions,
  ) {
    this.k = new Kernel(p.cpus, { ...opts.kernel, seams: { ...seamsFor(opts.bugs ?? NO_BUGS), ...opts.kernel?.seams } });
    if (opts.trace) this.k.trace = this.v.trace;
    this.sched = new Scheduler(this.k, opts.budget ?? DEFAULT_BUDGET, (t, ret) => this.returned(t, ret));
  }

  go(): Verdict {
    try {
      this.boot();
      this.p.events.forEach((ev, i) => {
        this.k.eventIndex = i;
        this.event(ev);
      });
      this.k.eventIndex = -1;
      this.sched.drain();
      this.k.observe?.(OBS.QUIESCENT, null);
      checkQuiescence(this.k, this.sched);
      this.k.eventIndex = -2;
      this.teardown();
      checkTeardown(this.k, this.sched);
    } catch (e) {
      if (e instanceof Panic) this.v.findings.push(e.finding);
      else if (e instanceof BudgetExceeded) this.budgetExceeded();
      else throw e;
    }
    this.v.stats.points = this.sched.points;
    return this.v;
  }

  /** The first process: t0 on CPU 0 with a fresh mm. */
  private boot(): void {
    this.k.eventIndex = -3;
    const mm = runToEnd(mm_alloc(this.k, this.k.softirq));
    if (mm) map_vdso(mm);
    this.k.newTask(0, null, mm, 0);
  }

  private note(text: string): void {
    this.k.trace?.push({ task: -1, cpu: -1, label: `# ${text}`, event: this.k.eventIndex });
  }

  skip(ev: Event, why: string): void {
    this.v.stats.skipped++;
    if (this.k.trace) this.note(`skipped '${printEvent(ev)}': ${why}`);
  }

  private returned(t: Task, ret: number | null): void {
    if (t.inFlight >= 0) this.v.syscalls[t.inFlight]!.ret = ret;
    t.inFlight = -1;
  }

  live(ev: Event): Task | null {
    const t = ev.task === undefined ? undefined : this.k.tasks.get(ev.task);
    if (!t || t.state === "exited") {
      this.skip(ev, `t${ev.task} does not exist`);
      return null;
    }
    return t;
  }

  private event(ev: Event): void {
    // a fatal signal sent since the last event (signal kill, de_thread, a user fault, an irq)
    // makes the group's threads in user space start exiting before anything else runs; the
    // scheduler does the same before every step of progress it makes elsewhere
    kick_killed(this.k);
    this.k.observe?.(OBS.EVENT, null, kindIndex(ev.op));
    if (isSyscall(ev)) return this.syscall(ev);
    this.v.stats.events++;
    runControl(this, ev);
  }

  private syscall<N extends SyscallName>(ev: EventOf<N>): void {
    const t = this.live(ev);
    if (!t) return;
    if (t.state === "busy" && !this.sched.complete(t))
      return this.skip(ev, `${t.name} is blocked in ${this.sched.blockedLabel(t) ?? "the kernel"}`);
    if (t.state !== "user") return this.skip(ev, `${t.name} has exited`);
    const impl: Syscall<N> = SYSCALLS[ev.op];
    const why = impl.precondition?.(this.k, t, ev.args);
    if (why) return this.skip(ev, why);
    this.v.stats.events++;
    t.inFlight = this.v.syscalls.push({ task: t.id, event: printEventBody(ev), ret: null }) - 1;
    t.state = "busy";
    t.pointsInEvent = 0;
    t.gen = impl.run(this.k, t, ev.args);
    this.sched.runUntil(t, ev.stop ?? Infinity);
  }

  /** Kill every thread group, let everything exit, and drain RCU and deferred work. */
  private teardown(): void {
    for (const t of this.k.tasks.values()) if (t.state !== "exited") send_signal(t, "kill");
    this.sched.drain();
    for (let i = 0; i < 8 && (this.k.rcu.pending || this.k.work.length); i++) {
      this.sched.gpEvent();
      this.sched.drain();
    }
  }

  private budgetExceeded(): void {
    // a task that spent most of the budget inside one event is looping in the kernel (a soft
    // lockup); otherwise the program was merely long
    const floor = Math.max(this.sched.budget / 2, STUCK_POINTS);
    const stuck = [...this.k.tasks.values()].find((t) => t.state === "busy" && t.pointsInEvent >= floor);
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
