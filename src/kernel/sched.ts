// Preemption points and waits. Kernel code is written as generators: every `yield` is a point
// where the simulated CPU may be preempted or another CPU may interleave. A yielded string is a
// labelled preemption point; a yielded Wait blocks the task until its condition holds.
//
// Nothing here decides who runs: that is the executor's scheduler (src/exec/scheduler.ts), the
// one place every nondeterministic choice is made, driven by the program.

export type WaitKind =
  /** TASK_INTERRUPTIBLE: a signal cuts it short */
  | "interruptible"
  /** TASK_UNINTERRUPTIBLE: only the condition ends it (mutexes, wait_var_event) */
  | "uninterruptible"
  /** spinning on a lock held by another CPU */
  | "spin";

export class Wait {
  constructor(
    readonly label: string,
    readonly ready: () => boolean,
    readonly kind: WaitKind,
  ) {}
}

export type Point = string | Wait;
export type KGen<T = void> = Generator<Point, T, void>;

/**
 * Run code that cannot be preempted and must not sleep to its end: softirq (RCU callbacks),
 * kworker items, and boot. Its preemption points pass at once (nothing can interleave on this
 * CPU); a wait that is not already satisfied is a bug in the simulated kernel. Tasks never run
 * this way: every step of a task goes through the scheduler (src/exec/scheduler.ts).
 */
export function run_atomic<T>(g: KGen<T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    if (typeof r.value !== "string" && !r.value.ready()) throw new Error(`blocking in atomic context: ${r.value.label}`);
  }
}

/** Block until `ready()` holds (checked by the scheduler right before resuming: atomic). */
export function* waitUntil(label: string, ready: () => boolean, kind: WaitKind): KGen {
  if (!ready()) yield new Wait(label, ready, kind);
}

export interface LockOwner {
  readonly id: number;
  frames: string[];
  /** preempt_count(): spinlocks and preempt_disable in the low byte, SOFTIRQ_OFFSET in a softirq */
  preemptCount: number;
  /** rcu_read_lock nesting (tasks; contexts without it are never in a read-side section) */
  rcuDepth?: number;
  /** a task whose state is not TASK_RUNNING since set_current_state() here (null: running) */
  stateSetAt?: string | null;
}

/** include/linux/preempt.h: the softirq count's unit in preempt_count() (RCU callbacks run with it) */
export const SOFTIRQ_OFFSET = 0x100;

/** in_interrupt(): a softirq (or hardirq) runs; vfree then defers its work (vfree_atomic) */
export function in_interrupt(ctx: LockOwner): boolean {
  return ctx.preemptCount >= SOFTIRQ_OFFSET;
}

/** What might_sleep() reports to (the kernel's Hooks: the sanitizers' __might_sleep check). */
export interface SleepCheck {
  readonly hooks: { mightSleep(ctx: LockOwner, fn: string): void };
}

/**
 * might_sleep() (kernel/sched/core.c __might_sleep): `fn` may sleep, so ctx must not be atomic
 * (a spinlock, preempt_disable, an RCU read-side section, a softirq). Called where the kernel
 * calls it: mutex_lock, vfree, GFP_KERNEL allocations, and before schedule().
 */
export function might_sleep(k: SleepCheck, ctx: LockOwner, fn: string): void {
  k.hooks.mightSleep(ctx, fn);
}

/** A spinlock: taking it disables preemption, as in the kernel. */
export class SpinLock {
  owner: LockOwner | null = null;
  /**
   * its preemption points' labels, built on first use and kept (spin_lock is on every bucket
   * operation; most locks made in a run, one per task, group and touched bucket, are never taken)
   */
  #lockLabel: string | null = null;
  #contendedLabel: string | null = null;
  constructor(readonly name: string) {}
  get lockLabel(): string {
    return (this.#lockLabel ??= `spin_lock(${this.name})`);
  }
  get contendedLabel(): string {
    return (this.#contendedLabel ??= `spin_lock(${this.name}): contended`);
  }
}

export function* spin_lock(t: LockOwner, l: SpinLock): KGen {
  yield l.lockLabel;
  if (l.owner !== null) yield spin_contended(l);
  spin_acquired(t, l);
}

/**
 * The wait of a task spinning on l held by another CPU. Built here, not in spin_lock: a closure
 * over spin_lock's own variable would allocate a context on every call, contended or not.
 */
export function spin_contended(l: SpinLock): Wait {
  return new Wait(l.contendedLabel, () => l.owner === null, "spin");
}

/** spin_lock's end: t holds l, preemption disabled (callers that inline spin_lock's two points end with it). */
export function spin_acquired(t: LockOwner, l: SpinLock): void {
  l.owner = t;
  t.preemptCount++;
}

export function spin_unlock(t: LockOwner, l: SpinLock): void {
  if (l.owner !== t) throw new Error(`spin_unlock(${l.name}) by a task that does not hold it`);
  l.owner = null;
  t.preemptCount--;
}

/** A sleeping mutex (mm->futex_hash_lock). */
export class Mutex {
  owner: LockOwner | null = null;
  /** labels built on first use, as SpinLock's */
  #lockLabel: string | null = null;
  #sleepLabel: string | null = null;
  constructor(readonly name: string) {}
  get lockLabel(): string {
    return (this.#lockLabel ??= `mutex_lock(${this.name})`);
  }
  get sleepLabel(): string {
    return (this.#sleepLabel ??= `mutex_lock(${this.name}): sleeping`);
  }
}

export function* mutex_lock(k: SleepCheck, t: LockOwner, m: Mutex): KGen {
  might_sleep(k, t, "mutex_lock");
  yield m.lockLabel;
  if (m.owner !== null) yield mutex_sleep(m);
  m.owner = t;
}

/** The sleep of a task waiting for m (built here: see spin_contended). */
export function mutex_sleep(m: Mutex): Wait {
  return new Wait(m.sleepLabel, () => m.owner === null, "uninterruptible");
}

export function mutex_unlock(t: LockOwner, m: Mutex): void {
  if (m.owner !== t) throw new Error(`mutex_unlock(${m.name}) by a task that does not hold it`);
  m.owner = null;
}

/**
 * A kernel function that has preemption points keeps its name on the task's simulated stack (the
 * trace and KASAN frames) by pushing it on entry and popping it in a `finally`, inside its own
 * generator:
 *
 *     t.frames.push("futex_wait");
 *     try { ... } finally { t.frames.pop(); }
 *
 * A wrapper generator per call (frame(t, name, body)) would read shorter but costs a closure and a
 * second generator resume per point: 2 % of a bare generator loop against ~40 % inline
 * (`npm run bench`, executor).
 */

/** Run a kernel function that has no preemption point (runs to its end at once) in its frame. */
export function inFrame<T>(t: LockOwner, name: string, body: () => T): T {
  t.frames.push(name);
  try {
    return body();
  } finally {
    t.frames.pop();
  }
}
