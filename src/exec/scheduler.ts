// The scheduler: every choice of who runs next is made here, driven by the program's events
// (`@k`, `step`, `run`, `cpu`, `gp`) and, when the program asks a task to finish, by a fixed
// round-robin over the other tasks, then deferred work, then RCU grace periods.
import type { Kernel } from "../kernel/kernel.js";
import { OBS } from "../kernel/hooks.js";
import { SOFTIRQ_OFFSET, Wait } from "../kernel/sched.js";
import type { Task } from "../kernel/task.js";
import { exit_to_user_mode, is_restart_code, kick_killed, syscall_restart } from "../kernel/signal.js";
import type { RcuCallback } from "../kernel/rcu.js";
import { kindIndex } from "../program/events.js";

export class BudgetExceeded extends Error {}

/** grace periods teardown may run; every chain of callbacks the kernel queues is far shorter */
const MAX_TEARDOWN_GPS = 1000;

export class Scheduler {
  points = 0;
  private rr = 0;

  constructor(
    private readonly k: Kernel,
    readonly budget: number,
    /** the event in flight on t returned `ret` to user space (null: it never returns) */
    private readonly onReturn: (t: Task, ret: number | null) => void,
  ) {}

  /** The task on t's CPU that is inside a preempt-disabled section, if not t itself. */
  private preemptBlocker(t: Task): Task | null {
    const all = this.k.taskList;
    for (let i = 0; i < all.length; i++) {
      const o = all[i]!;
      if (o !== t && o.preemptCount > 0 && o.cpu === t.cpu && o.state === "busy") return o;
    }
    return null;
  }

  private ready(t: Task): boolean {
    return t.state === "busy" && (t.wait === null || t.wait.ready());
  }

  blockedLabel(t: Task): string | null {
    return t.state === "busy" && t.wait && !t.wait.ready() ? t.wait.label : null;
  }

  /**
   * Run one preemption point of t. If another task holds t's CPU with preemption disabled, that
   * task runs instead (a CPU cannot switch tasks inside such a section). Returns false when
   * nothing could run (t is blocked, or the task holding its CPU is).
   */
  step(t: Task): boolean {
    if (!this.ready(t)) return false;
    const b = this.preemptBlocker(t);
    if (b) return this.ready(b) ? this.resume(b) : false;
    return this.resume(t);
  }

  private resume(t: Task): boolean {
    if (this.points >= this.budget) throw new BudgetExceeded();
    t.wait = null;
    const r = t.gen!.next();
    this.points++;
    t.pointsInEvent++;
    if (r.done) {
      this.finish(t, r.value);
      return true;
    }
    const p = r.value;
    const label = typeof p === "string" ? p : p.label;
    t.at = label;
    if (p instanceof Wait && !p.ready()) t.wait = p;
    this.k.trace?.push({ task: t.id, cpu: t.cpu, label, event: this.k.eventIndex });
    return true;
  }

  private finish(t: Task, ret: number | null): void {
    if (t.state === "exited") {
      this.onReturn(t, null);
      t.gen = null;
      return;
    }
    if (ret !== null && is_restart_code(ret)) {
      const r = syscall_restart(this.k, t, ret);
      if (typeof r !== "number") {
        // restarted: the same event goes on (no return to user space yet)
        t.gen = r;
        return;
      }
      ret = r;
    }
    const more = exit_to_user_mode(this.k, t);
    if (more) {
      this.onReturn(t, null);
      t.gen = more;
      return;
    }
    this.onReturn(t, ret);
    t.gen = null;
    t.state = "user";
  }

  /** Run t until it returns to user space, blocks, or has run `max` points. */
  runUntil(t: Task, max: number): void {
    // Only t runs here, so whether another task holds t's CPU with preemption disabled cannot
    // change during the loop: look once, then resume t directly while it is ready.
    if (this.preemptBlocker(t) !== null) {
      for (let n = 0; n < max && t.state === "busy"; n++) if (!this.step(t)) return;
      return;
    }
    for (let n = 0; n < max && this.ready(t); n++) this.resume(t);
  }

  /**
   * Complete t's event in flight, letting other tasks, deferred work and grace periods progress
   * while t waits on them. Returns false when t is stuck (nothing can make progress).
   */
  complete(t: Task): boolean {
    return this.runWhile(t, () => t.state === "busy");
  }

  /**
   * Run t while `cond` holds, letting the rest of the system progress whenever t cannot. Returns
   * false when t is stuck with `cond` still true.
   */
  runWhile(t: Task, cond: () => boolean): boolean {
    while (cond()) {
      // step() runs a point exactly when one of t (or of what keeps t's CPU busy) can run
      if (!this.step(t) && !this.advanceOthers(t)) return false;
    }
    return true;
  }

  /**
   * Program event `index` (of kind `kind`) is about to run. A fatal signal sent since the last
   * event (signal kill, de_thread, a user fault, an irq) makes the group's threads in user space
   * start exiting before anything else runs, as before every unit of progress elsewhere.
   */
  eventBoundary(index: number, op: string): void {
    this.k.eventIndex = index;
    kick_killed(this.k);
    const observe = this.k.hooks.observe;
    if (observe) observe(OBS.EVENT, null, kindIndex(op));
  }

  /** One unit of progress elsewhere: another task's point, a work item, or a grace period. */
  advanceOthers(except: Task | null): boolean {
    kick_killed(this.k);
    // round-robin over the tasks that exist now (a step may create one: it waits its turn)
    const all = this.k.taskList;
    const n = all.length;
    for (let i = 0; i < n; i++) {
      const o = all[(this.rr + i) % n]!;
      if (o !== except && this.step(o)) {
        this.rr = (this.rr + i + 1) % n;
        return true;
      }
    }
    const w = this.k.work.shift();
    if (w) {
      this.runSoftirq(["process_one_work", w.label], w.fn);
      return true;
    }
    return this.gracePeriod(2);
  }

  /**
   * Try to complete up to `n` grace periods; progress means a callback ran or a blocked task
   * became runnable (a GP nobody waits for changes nothing).
   */
  gracePeriod(n: number): boolean {
    const rcu = this.k.rcu;
    const blocked = this.blocked;
    let nb = 0;
    for (const o of this.k.taskList) if (o.state === "busy" && !this.ready(o)) blocked[nb++] = o;
    for (let i = 0; i < n; i++) {
      const before = this.callbacksRun;
      if (!rcu.advance(this.runCallback)) return false;
      if (this.callbacksRun !== before) return true;
      for (let j = 0; j < nb; j++) if (this.ready(blocked[j]!)) return true;
    }
    return false;
  }

  /** The `gp` event: one grace period, then its callbacks and any deferred work. */
  gpEvent(): boolean {
    const done = this.k.rcu.advance(this.runCallback);
    while (this.k.work.length) {
      const w = this.k.work.shift()!;
      this.runSoftirq(["process_one_work", w.label], w.fn);
    }
    return done;
  }

  /** RCU callbacks run so far (gracePeriod tells progress by it) */
  private callbacksRun = 0;
  /** gracePeriod's list of the tasks blocked before it (reused, its first entries valid: it runs whenever nothing else can) */
  private readonly blocked: Task[] = [];

  private readonly runCallback = (cb: RcuCallback): void => {
    this.callbacksRun++;
    this.runSoftirq(["rcu_do_batch", cb.label], cb.fn, SOFTIRQ_OFFSET);
  };

  /** Run an RCU callback (in a softirq: `preempt` SOFTIRQ_OFFSET) or a work item (a kworker: 0). */
  private runSoftirq(frames: string[], fn: () => void, preempt = 0): void {
    const ctx = this.k.softirq;
    ctx.frames = frames;
    ctx.preemptCount = preempt;
    this.k.hooks.observe?.(OBS.DEFERRED, ctx, frames);
    this.k.trace?.push({ task: -1, cpu: 0, label: frames.join(": "), event: this.k.eventIndex });
    try {
      fn();
    } finally {
      ctx.frames = [];
      ctx.preemptCount = 0;
    }
  }

  /** Run everything that can run until nothing can (quiescence). */
  drain(): void {
    while (this.advanceOthers(null));
  }

  /**
   * Teardown: drain, then complete grace periods (with their callbacks and deferred work) and
   * drain again until RCU and the work queue are empty, or a grace period cannot complete (a
   * reader that will never leave its section: the end-of-run checks report the task).
   */
  quiesce(): void {
    this.drain();
    for (let gps = 0; this.k.rcu.pending || this.k.work.length; gps++) {
      // callbacks that keep queueing callbacks would never end: a harness limit, not a verdict
      if (gps >= MAX_TEARDOWN_GPS) throw new BudgetExceeded();
      const before = this.k.rcu.completed;
      this.gpEvent();
      this.drain();
      if (this.k.rcu.completed === before && !this.k.work.length) return;
    }
  }
}
