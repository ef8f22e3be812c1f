// kernel/exit.c do_exit(): the parts futex code cares about, in the kernel's order: the robust
// list and pending op (futex_exit_release) and mm_release (clear_child_tid, vfork) run before the
// thread lets go of its mm (exit_mm).
import type { Kernel } from "./kernel.js";
import { MMPUT_POINT, __mmput, mmdrop, mmgrab, mmput_dec_and_test, type Mm } from "./mm.js";
import type { KGen } from "./sched.js";
import type { Task } from "./task.js";
import { futex_exit_release } from "./futex/robust.js";
import { mm_release } from "./mm_release.js";

export function* do_exit(k: Kernel, t: Task): KGen<null> {
  t.frames.push("do_exit");
  try {
    t.exiting = true;
    yield "do_exit: exit_signals";
    yield* futex_exit_release(k, t);
    const mm = t.mm;
    if (mm) {
      // exit_mm_release(): the robust list above, then mm_release() (which has nothing to do,
      // and no generator is made, without a clear_child_tid or a vfork parent)
      if (t.clear_child_tid || t.vfork_done) yield* mm_release(k, t, mm);
      yield "do_exit: exit_mm";
      // the exiting task keeps the mm as its active_mm (lazy TLB) until its last switch
      mmgrab(k, t, mm);
      t.mm = null;
      // mmput(), inline with its frame (every exit runs it: one generator less per exit)
      t.frames.push("mmput");
      try {
        yield MMPUT_POINT;
        if (mmput_dec_and_test(k, t, mm)) yield* __mmput(k, t, mm);
      } finally {
        t.frames.pop();
      }
    }
    t.group.tasks.delete(t);
    t.state = "exited";
    if (mm) finish_task_switch(k, t, mm);
    return null;
  } finally {
    t.frames.pop();
  }
}

/**
 * do_task_dead() -> __schedule() -> finish_task_switch() on the CPU the dead task leaves:
 * mmdrop_lazy_tlb_sched() of its active_mm, with preemption still disabled (non-RT: mmdrop at
 * once). The last mm_count reference goes here when the exiting task was the mm's last user.
 */
function finish_task_switch(k: Kernel, t: Task, mm: Mm): void {
  t.frames.push("do_task_dead", "__schedule", "finish_task_switch");
  t.preemptCount++;
  try {
    mmdrop(k, t, mm);
  } finally {
    t.preemptCount--;
    // three pops, not `length -= 3` (the length setter is a slow builtin)
    t.frames.pop();
    t.frames.pop();
    t.frames.pop();
  }
}
