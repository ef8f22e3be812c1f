// kernel/exit.c do_exit(): the parts futex code cares about, in the kernel's order: the robust
// list and pending op (futex_exit_release) and mm_release (clear_child_tid, vfork) run before the
// thread lets go of its mm (exit_mm).
import type { Kernel } from "./kernel.js";
import { mmput } from "./mm.js";
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
      // exit_mm_release(): the robust list above, then mm_release()
      yield* mm_release(k, t, mm);
      yield "do_exit: exit_mm";
      t.mm = null;
      yield* mmput(k, t, mm);
    }
    t.group.tasks.delete(t);
    t.state = "exited";
    return null;
  } finally {
    t.frames.pop();
  }
}
