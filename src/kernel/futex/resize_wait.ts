// The wait of a PR_FUTEX_HASH_SET_SLOTS request for the previous replacement to finish
// (kernel/futex/core.c futex_hash_allocate), behind the seam futexHashAllocateWait: v7.2's
// open-coded wait (add_wait_queue + wait_woken), and the wait_var_event() it replaced, whose
// condition futex_pivot_pending() takes the hash mutex while the task is TASK_UNINTERRUPTIBLE.
import type { Kernel } from "../kernel.js";
import type { Mm } from "../mm.js";
import { waitUntil, type KGen } from "../sched.js";
import type { Task } from "../task.js";
import { add_var_wait_queue, remove_var_wait_queue, wait_woken } from "../waitvar.js";

/** The futexHashAllocateWait seam: sleep until futex_pivot_pending() lets the prctl go on. */
export type FutexHashAllocateWait = (k: Kernel, t: Task, mm: Mm) => KGen;

/**
 * v7.2 [2026, "futex: Fix might_sleep() warning in futex_pivot_pending()", stable 36e6dc9f9cae]:
 * the condition runs in TASK_RUNNING; wait_woken() sleeps only while no wake came since.
 */
export function* futex_hash_allocate_wait(k: Kernel, t: Task, mm: Mm): KGen {
  const e = add_var_wait_queue(k, t, mm);
  yield "futex_hash_allocate: add_wait_queue(__var_waitqueue(mm)); smp_mb()";
  while (!(yield* k.seams.futexPivotPending(k, t, mm))) yield* wait_woken(k, e, "futex_hash_allocate: wait_woken(TASK_UNINTERRUPTIBLE)");
  remove_var_wait_queue(k, e);
}

/**
 * Before 36e6dc9f9cae: wait_var_event(mm, futex_pivot_pending(mm)). The first check runs in
 * TASK_RUNNING; after that, ___wait_var_event() sets TASK_UNINTERRUPTIBLE
 * (prepare_to_wait_event) before each evaluation, and the condition's mutex_lock() is a
 * blocking call in that state ("do not call blocking ops when !TASK_RUNNING").
 */
export function* futex_hash_allocate_wait_var_event(k: Kernel, t: Task, mm: Mm): KGen {
  if (yield* k.seams.futexPivotPending(k, t, mm)) return;
  const e = add_var_wait_queue(k, t, mm);
  try {
    for (;;) {
      yield "___wait_var_event: prepare_to_wait_event(TASK_UNINTERRUPTIBLE)";
      e.woken = false;
      t.stateSetAt = "prepare_to_wait_event";
      if (yield* k.seams.futexPivotPending(k, t, mm)) break;
      yield* waitUntil("___wait_var_event: schedule()", () => e.woken, "uninterruptible");
      t.stateSetAt = null; // woken: TASK_RUNNING
    }
  } finally {
    // finish_wait(): __set_current_state(TASK_RUNNING)
    t.stateSetAt = null;
    remove_var_wait_queue(k, e);
  }
}
