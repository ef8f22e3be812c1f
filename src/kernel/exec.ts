// fs/exec.c: a successful exec replaces the mm (other threads are killed first, de_thread); an
// exec that fails early after mm_alloc drops the new mm with mmdrop only.
import type { Kernel } from "./kernel.js";
import { mm_alloc, mmdrop, mmput } from "./mm.js";
import { might_sleep, waitUntil, type KGen } from "./sched.js";
import type { Task } from "./task.js";
import { ENOMEM } from "./errno.js";
import { futex_exec_release } from "./futex/robust.js";
import { ThreadGroup } from "./task.js";
import { map_vdso } from "./vdso.js";
import { mm_release } from "./mm_release.js";

export function* do_execve(k: Kernel, t: Task, fail: boolean): KGen<number> {
  t.frames.push("do_execve");
  try {
    yield "do_execve: bprm_mm_init";
    const mm = yield* mm_alloc(k, t);
    if (!mm) return ENOMEM;
    if (fail) {
      yield "do_execve: failed before the point of no return";
      mmdrop(k, t, mm);
      return ENOMEM;
    }
    // de_thread(): kill the other threads and wait for them to go
    yield "de_thread";
    const others = [...t.group.tasks].filter((o) => o !== t);
    if (others.length) {
      const killed = new ThreadGroup(t.group.tgid);
      killed.killed = true;
      for (const o of others) {
        t.group.tasks.delete(o);
        o.group = killed;
        killed.tasks.add(o);
      }
      // sig->notify_count drops in __exit_signal (release_task): exec goes on once the other
      // threads are gone, not merely past exit_mm (and the leader a zombie: exit_notify)
      might_sleep(k, t, "schedule");
      yield* waitUntil("de_thread: wait for other threads", () => others.every((o) => o.state === "exited"), "uninterruptible");
    }
    // de_thread(): a non-leader takes over the leader's TID (exchange_tids, transfer_pid) before
    // exec_mmap walks the robust list, so the walk compares lock words with the new TID
    const leader = t.tid === t.group.tgid ? undefined : others.find((o) => o.tid === t.group.tgid) ?? [...k.tasks.values()].find((o) => o !== t && o.tid === t.group.tgid);
    if (leader) [t.tid, leader.tid] = [leader.tid, t.tid];
    yield* futex_exec_release(k, t);
    // exec_mm_release(): mm_release() of the old mm (clear_child_tid, a vfork parent)
    if (t.mm) yield* mm_release(k, t, t.mm);
    yield "exec_mmap";
    const old = t.mm;
    t.mm = mm;
    if (old) yield* mmput(k, t, old);
    // the new image: arch_setup_additional_pages maps the vDSO (publishes the robust unlock
    // range); user space starts over without a robust list head
    map_vdso(mm);
    t.userHead = 0;
    // flush_signal_handlers(): the new program installs its own handler (without SA_RESTART)
    t.group.saRestart = false;
    k.hooks.robustUser(t, "exec", 0);
    return 0;
  } finally {
    t.frames.pop();
  }
}
