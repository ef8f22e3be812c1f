// Futex timeouts without a clock: kernel/futex/core.c futex_setup_timer() and the hrtimer_sleeper
// of kernel/time/hrtimer.c. A timeout is an absolute expiry (futex_init_timeout turns a relative
// one into now + timeout); the simulator has no time, so an expiry passes only when the program
// says so (`timeout tN`). Until then the timer is armed and silent; then hrtimer_wakeup() runs
// (sl->task = NULL, wake_up_process), racing whatever else is waking or moving the waiter.
//
// Reusable by any timed wait: futex_setup_timer() before queueing, hrtimer_sleeper_start_expires()
// once queued (an expiry already passed fires at once), timed_out() after the sleep, and
// hrtimer_cancel() on the way out. The `timeout tN` event fires the task's armed timer.
import type { Task } from "../task.js";

/** The clock a timeout names and whether it was given relative (FUTEX_WAIT) or absolute (*_BITSET). */
export type TimeoutClock = "rel" | "abs" | "abs_realtime";

/**
 * An absolute expiry: `passed` once the program let the clock run past it. A restarted wait
 * keeps the same expiry (restart_block->futex.time), so a restart after it passed times out.
 */
export class TimerExpiry {
  passed = false;
  constructor(readonly clock: TimeoutClock) {}
}

/** struct hrtimer_sleeper of one timed wait. */
export class HrtimerSleeper {
  /** sl->task: whom the timer wakes; NULL once it fired (hrtimer_wakeup) */
  task: Task | null;
  /** hrtimer_active(): started and neither fired nor cancelled */
  active = false;
  constructor(
    task: Task,
    readonly expiry: TimerExpiry,
  ) {
    this.task = task;
  }
}

/** futex_setup_timer(): a sleeper for `expiry` (null: no timeout), not started yet. */
export function futex_setup_timer(t: Task, expiry: TimerExpiry | null): HrtimerSleeper | null {
  if (!expiry) return null;
  const to = new HrtimerSleeper(t, expiry);
  t.timer = to;
  return to;
}

/** hrtimer_sleeper_start_expires(): start the timer; an expiry in the past fires at once. */
export function hrtimer_sleeper_start_expires(to: HrtimerSleeper): void {
  to.active = true;
  if (to.expiry.passed) hrtimer_wakeup(to);
}

/** hrtimer_wakeup() (hardirq): sl->task = NULL, then wake_up_process() of the sleeper. */
function hrtimer_wakeup(to: HrtimerSleeper): void {
  const task = to.task;
  to.task = null;
  to.active = false;
  if (task) task.wakeup = true;
}

/** The wait's timer fired: `to && !to->task`. */
export function timed_out(to: HrtimerSleeper | null): boolean {
  return to !== null && to.task === null;
}

/** hrtimer_cancel() + destroy_hrtimer_on_stack(): the wait is over, its timer goes. */
export function hrtimer_cancel(t: Task, to: HrtimerSleeper | null): void {
  if (!to) return;
  to.active = false;
  if (t.timer === to) t.timer = null;
}

/**
 * The `timeout tN` event: the clock passes the expiry of tN's armed timeout; a started timer
 * fires now, one not started yet fires when it starts. False when tN has no timed wait in flight.
 */
export function futex_timeout_expires(t: Task): boolean {
  const to = t.timer;
  if (!to) return false;
  to.expiry.passed = true;
  if (to.active) hrtimer_wakeup(to);
  return true;
}
