// kernel/fork.c copy_process(): threads (CLONE_THREAD|CLONE_VM) and processes (fork, dup_mm).
import type { Kernel } from "./kernel.js";
import { dup_mm, mmget, mmput, type Mm } from "./mm.js";
import type { KGen } from "./sched.js";
import type { Task } from "./task.js";
import { EAGAIN, ENOMEM } from "./errno.js";
import { futex_hash_allocate_default } from "./futex/resize.js";

/**
 * copy_process()'s steps for a child on the parent's mm (CLONE_VM: a thread, or a process with
 * clone_vm/vfork): copy_mm takes a reference, then futex_hash_allocate_default() runs before the
 * child is attached (signal->nr_threads does not count it yet). Returns 0 or the allocation's
 * error, after the failure path (the seam copyProcessFutexFail). Runs in copy_process's frame.
 */
export function* copy_mm_shared(k: Kernel, t: Task, mm: Mm): KGen<number> {
  yield "copy_process: copy_mm (CLONE_VM): mmget";
  mmget(mm);
  yield "copy_process: futex_hash_allocate_default";
  const err = yield* futex_hash_allocate_default(k, t);
  if (err < 0) yield* k.seams.copyProcessFutexFail(k, t, mm);
  return err < 0 ? err : 0;
}

/**
 * clone(CLONE_THREAD|CLONE_VM): a new thread `id` sharing t's mm. Returns the child's TID. With
 * `ctid` (pthread_create's CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID on one word): the TID is
 * stored there and the child's clear_child_tid points at it.
 */
export function* clone_thread(k: Kernel, t: Task, id: number, ctid = 0): KGen<number> {
  t.frames.push("copy_process");
  try {
    const mm = t.mm!;
    const err = yield* copy_mm_shared(k, t, mm);
    if (err < 0) return err;
    yield "copy_process: attach the new thread";
    if (k.tasks.has(id)) {
      // two spawns of the same program name raced (a naming artifact, not a kernel path)
      yield* mmput(k, t, mm);
      return EAGAIN;
    }
    const child = k.newTask(id, t.group, mm, id);
    if (ctid) {
      // copy_process: p->clear_child_tid = args->child_tid; kernel_clone: put_user(nr, parent_tid)
      child.clear_child_tid = ctid;
      yield "kernel_clone: put_user(nr, args->parent_tid)";
      if (mm.as.write(ctid, child.tid)) k.hooks.userStore(mm.as, ctid, child.tid);
    }
    return child.tid;
  } finally {
    t.frames.pop();
  }
}

/** fork(): a new process `id` with a copy of t's mm. Returns the child's PID. */
export function* fork_process(k: Kernel, t: Task, id: number): KGen<number> {
  t.frames.push("copy_process");
  try {
    yield "copy_process: copy_mm";
    const mm = yield* dup_mm(k, t, t.mm!);
    if (!mm) return ENOMEM;
    if (k.tasks.has(id)) {
      // two forks of the same program name raced (a naming artifact): bad_fork_cleanup_mm
      yield* mmput(k, t, mm);
      return EAGAIN;
    }
    const child = k.newTask(id, null, mm, id);
    child.robust = null;
    // copy_sighand(): the child gets a copy of the handlers, SA_RESTART included
    child.group.saRestart = t.group.saRestart;
    return child.tid;
  } finally {
    t.frames.pop();
  }
}
