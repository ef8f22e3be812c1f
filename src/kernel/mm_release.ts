// kernel/fork.c mm_release(): what a task owes user space when it lets go of its mm, at exit
// (exit_mm_release) and at exec (exec_mm_release), after the robust list (futex_*_release):
// clear_child_tid (CLONE_CHILD_CLEARTID, set_tid_address) gets 0 and one shared FUTEX_WAKE while
// another user still has the mm (pthread_join sleeps on that word), and a vfork parent waiting in
// wait_for_vfork_done() is completed (complete_vfork_done).
import type { Kernel } from "./kernel.js";
import type { Mm } from "./mm.js";
import type { KGen } from "./sched.js";
import type { Task } from "./task.js";
import { get_futex_key } from "./futex/core.js";
import { futex_wake } from "./futex/waitwake.js";

export function* mm_release(k: Kernel, t: Task, mm: Mm): KGen {
  t.frames.push("mm_release");
  try {
    const ctid = t.clear_child_tid;
    if (ctid) {
      yield "mm_release: atomic_read(&mm->mm_users) > 1";
      k.hooks.access(mm, "mm->mm_users", t);
      if (mm.users > 1) {
        // put_user(0, tsk->clear_child_tid): a fault is ignored ("tough luck")
        yield "mm_release: put_user(0, tsk->clear_child_tid)";
        if (mm.as.write(ctid, 0)) k.hooks.userStore(mm.as, ctid, 0);
        // do_futex(tsk->clear_child_tid, FUTEX_WAKE, 1, ...): a shared wake
        const key = get_futex_key(t, ctid, true);
        if (typeof key !== "number") yield* futex_wake(k, t, key, 1);
      }
      t.clear_child_tid = 0;
    }
    if (t.vfork_done) {
      // complete_vfork_done(): re-read under task_lock, since a killed vfork parent clears it
      // (wait_for_vfork_done) between the unlocked check and here
      yield "mm_release: complete_vfork_done";
      const vfork = t.vfork_done;
      t.vfork_done = null;
      if (vfork) vfork.done = true;
    }
  } finally {
    t.frames.pop();
  }
}
