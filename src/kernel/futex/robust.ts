// kernel/futex/core.c robust-list handling at exit and exec. Spine version: nothing registered
// is walked yet; the robust-list machinery replaces these bodies.
import type { Kernel } from "../kernel.js";
import type { KGen } from "../sched.js";
import type { Task } from "../task.js";

/** futex_exit_release(): exit_robust_list + exit_pi_state_list for a dying task. */
export function* futex_exit_release(_k: Kernel, t: Task): KGen {
  yield "futex_exit_release";
  t.robust = null;
}

/** futex_exec_release(): the same at exec. */
export function* futex_exec_release(k: Kernel, t: Task): KGen {
  yield* futex_exit_release(k, t);
}
