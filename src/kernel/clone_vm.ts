// kernel/fork.c copy_process()/kernel_clone() for a process that shares its parent's mm without
// being a thread of it: clone(CLONE_VM) without CLONE_THREAD (its own thread group and TGID,
// the same mm) and vfork (CLONE_VM|CLONE_VFORK: the parent sleeps in wait_for_vfork_done until
// the child's mm_release, at its exec or exit).
//
// need_futex_hash_allocate_default(): any CLONE_VM clone allocates the default private hash in
// the parent, before the child exists. ee9dce44362b ("futex: Drop CLONE_THREAD requirement for
// private default hash alloc") dropped the CLONE_THREAD requirement but left vfork out; the host
// kernel (6.18, kernel-diff: hash_get_slots in a vfork child is 16) allocates at vfork too, as
// after the race fix on the first mm->futex.phash.ref ("futex: Fix race on the initial
// mm->futex.phash.ref allocation", which made concurrent first allocations safe) [inferred: that
// this fix, not seen in full, is what dropped the vfork exclusion].
import type { Kernel } from "./kernel.js";
import { mmput } from "./mm.js";
import { might_sleep, waitUntil, type KGen } from "./sched.js";
import type { Task } from "./task.js";
import { EAGAIN } from "./errno.js";
import { copy_mm_shared } from "./fork.js";

/** clone(CLONE_VM [| CLONE_VFORK]) of t: a new process `id` on t's mm. Returns its PID. */
export function* clone_vm(k: Kernel, t: Task, id: number, vfork: boolean): KGen<number> {
  t.frames.push("copy_process");
  try {
    const mm = t.mm!;
    const err = yield* copy_mm_shared(k, t, mm);
    if (err < 0) return err;
    yield "copy_process: attach the new process";
    if (k.tasks.has(id)) {
      yield* mmput(k, t, mm);
      return EAGAIN;
    }
    const child = k.newTask(id, null, mm, id);
    // copy_sighand() (no CLONE_SIGHAND): a copy of the handlers
    child.group.saRestart = t.group.saRestart;
    if (!vfork) return child.tid;
    // kernel_clone(): p->vfork_done = &vfork; wake_up_new_task(p); wait_for_vfork_done()
    const vfork_done = { done: false };
    child.vfork_done = vfork_done;
    return yield* wait_for_vfork_done(k, t, child, vfork_done);
  } finally {
    t.frames.pop();
  }
}

/** wait_for_vfork_done(): TASK_KILLABLE until the child's mm_release completes it. */
function* wait_for_vfork_done(k: Kernel, t: Task, child: Task, vfork_done: { done: boolean }): KGen<number> {
  t.frames.push("wait_for_vfork_done");
  try {
    might_sleep(k, t, "schedule");
    yield* waitUntil("wait_for_vfork_done: wait_for_completion_state(TASK_KILLABLE)", () => vfork_done.done || t.fatalPending, "uninterruptible");
    // killed first: task_lock(child); child->vfork_done = NULL
    if (!vfork_done.done && child.vfork_done === vfork_done) child.vfork_done = null;
    return child.tid;
  } finally {
    t.frames.pop();
  }
}
