// The sleeping-in-atomic check (kernel/sched/core.c __might_sleep / __might_resched): a function
// that may sleep (might_sleep() in mutex_lock, vfree, GFP_KERNEL allocations, before schedule())
// called with preemption disabled (a spinlock, preempt_disable), inside an RCU read-side section,
// or in a softirq (RCU callbacks); and, as __might_sleep also checks, a blocking call made while
// the task's state is not TASK_RUNNING (a WARN). Its shadow is the context's own preempt count,
// RCU depth and task state.
import { topFrame, type Kernel } from "../kernel/kernel.js";
import type { LockOwner } from "../kernel/sched.js";

export class AtomicSleepCheck {
  constructor(private readonly k: Kernel) {}

  mightSleep(ctx: LockOwner, fn: string): void {
    // __might_sleep(): WARN_ONCE(state != TASK_RUNNING && current->task_state_change, ...)
    if (ctx.stateSetAt)
      this.k.report("warn", "WARNING in __might_sleep: do not call blocking ops when !TASK_RUNNING", ctx, `state=2 set at ${ctx.stateSetAt}; ${fn} called`);
    const preempt = ctx.preemptCount;
    const rcu = ctx.rcuDepth ?? 0;
    if (preempt === 0 && rcu === 0) return;
    const who = ctx.id >= 0 ? `pid: ${1000 + ctx.id}, name: t${ctx.id}` : "pid: 0, name: kworker/softirq";
    this.k.report(
      "sleep-in-atomic",
      `BUG: sleeping function called from invalid context at ${fn}`,
      ctx,
      `in_atomic(): ${preempt !== 0 ? 1 : 0}, irqs_disabled(): 0, non_block: 0, ${who}\n` +
        `preempt_count: ${preempt.toString(16)}, expected: 0\n` +
        `RCU nest depth: ${rcu}, expected: 0`,
    );
  }

  /** lockdep's print_unlock_imbalance_bug(): a release of a lock the context does not hold */
  lockRelease(ctx: LockOwner, lock: string, held: boolean): void {
    if (!held) this.k.report("warn", `WARNING: bad unlock balance in ${topFrame(ctx)}`, ctx, `${lock} released, but not held by ${ctx.id >= 0 ? `t${ctx.id}` : "this context"}`);
  }
}
