// kernel/fork.c copy_process(): the error path when futex_hash_allocate_default() fails, behind
// the seam copyProcessFutexFail. v7.2 (4ec3c15462b9 "futex: Use correct exit on failure from
// futex_hash_allocate_default()", CVE-2025-39976) jumps to bad_fork_cancel_cgroup, which undoes
// only what was done; from 7c4f75a21f63 until then it jumped to bad_fork_core_free, which also
// releases current->sighand->siglock and tasklist_lock, taken only later in copy_process.
import type { Kernel } from "./kernel.js";
import { mmput, type Mm } from "./mm.js";
import { spin_unlock, type KGen, type LockOwner, type SpinLock } from "./sched.js";
import type { Task } from "./task.js";

/** The copyProcessFutexFail seam: unwind copy_process after futex_hash_allocate_default failed. */
export type CopyProcessFutexFail = (k: Kernel, t: Task, mm: Mm) => KGen;

/** v7.2: goto bad_fork_cancel_cgroup ... bad_fork_cleanup_mm: mmput(). */
export function* bad_fork_cancel_cgroup(k: Kernel, t: Task, mm: Mm): KGen {
  yield* mmput(k, t, mm);
}

/**
 * Before 4ec3c15462b9: goto bad_fork_core_free: sched_core_free(p);
 * spin_unlock(&current->sighand->siglock); write_unlock_irq(&tasklist_lock); then on through
 * the cgroup and mm cleanup. Neither lock is held here (lockdep: "bad unlock balance").
 */
export function* bad_fork_core_free_pre_4ec3c15462b9(k: Kernel, t: Task, mm: Mm): KGen {
  yield "copy_process: bad_fork_core_free: sched_core_free";
  lock_release(k, t, t.group.siglock);
  lock_release(k, t, k.tasklist_lock);
  yield "copy_process: bad_fork_cancel_cgroup";
  yield* mmput(k, t, mm);
}

/** spin_unlock() as lockdep sees it (lock_release): releasing a lock ctx does not hold is reported. */
function lock_release(k: Kernel, ctx: LockOwner, l: SpinLock): void {
  const held = l.owner === ctx;
  k.hooks.lockRelease(ctx, l.name, held);
  if (held) spin_unlock(ctx, l);
}
