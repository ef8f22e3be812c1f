// Bug switches of the mm lifecycle around the private hash (research/futex-bugs.md §3.2): each
// row installs the historical code path at one seam (src/kernel/seams.ts).
import type { BugInfo } from "./registry.js";
import { FUTEX_HASH_FREE_IN_MMDROP_e703b7e24750 } from "../kernel/futex/private.js";
import { futex_hash_allocate_wait_var_event } from "../kernel/futex/resize_wait.js";
import { bad_fork_core_free_pre_4ec3c15462b9 } from "../kernel/fork_error.js";

export const LIFECYCLE_BUGS = [
  {
    id: "futex-free-in-atomic-mmdrop",
    title: "futex_hash_free in __mmdrop: the lazy-TLB mmdrop in finish_task_switch vfrees the hash with preemption disabled",
    introduced: "e703b7e24750 futex: Move futex cleanup to __mmdrop()",
    fixed: "d9b05321e21e futex: Move futex_hash_free() back to __mmput()",
    expect: ["sleep-in-atomic"],
    mechanism:
      "e703b7e24750 moved futex_hash_free from __mmput to __mmdrop so that an mm dropped with " +
      "mmdrop alone would not leak its futex_ref. But the last mm_count reference of an exiting " +
      "task's mm is usually the lazy-TLB one (exit_mm grabs it, the task keeps the mm as " +
      "active_mm), dropped by finish_task_switch on the task's last context switch with " +
      "preemption disabled. A private hash bigger than a page is vmalloc'ed, and vfree may sleep: " +
      "'BUG: sleeping function called from invalid context at mm/vmalloc.c' (vfree <- __mmdrop " +
      "<- finish_task_switch; Jakub Kicinski, syzbot). d9b05321e21e frees in __mmput again and " +
      "allocates futex_ref lazily.",
    inferred:
      "The lazy-TLB reference is dropped at once by the dying task's own finish_task_switch (the " +
      "kernel may pass it to the next task, e.g. idle, and drop it later, still with preemption " +
      "off); kvmalloc is taken to vmalloc exactly above a page. The rest of the kernel is v7.2 " +
      "(lazy futex_ref), not the v6.17 tree of the time.",
    seams: { futexHashFreeSite: FUTEX_HASH_FREE_IN_MMDROP_e703b7e24750 },
  },
  {
    id: "pivot-pending-might-sleep",
    title: "wait_var_event(mm, futex_pivot_pending(mm)): the condition takes the hash mutex in TASK_UNINTERRUPTIBLE",
    introduced: "futex: Fix race in futex_pivot_pending() during private hash resize (stable 19b4be0717fa: the predicate takes the mutex)",
    fixed: "futex: Fix might_sleep() warning in futex_pivot_pending() (stable 36e6dc9f9cae)",
    expect: ["warn"],
    mechanism:
      "A PR_FUTEX_HASH_SET_SLOTS that finds the previous replacement still pending waits with " +
      "wait_var_event(mm, futex_pivot_pending(mm)). After the first check, ___wait_var_event sets " +
      "TASK_UNINTERRUPTIBLE (prepare_to_wait_event) before each evaluation of the condition, and " +
      "futex_pivot_pending (since the race fix) takes mm->futex.phash.lock with mutex_lock: " +
      "__might_sleep warns 'do not call blocking ops when !TASK_RUNNING'. The fix open-codes the " +
      "wait: add_wait_queue, the condition in TASK_RUNNING, wait_woken.",
    inferred:
      "Only the fix's title is verified; that the race fix introduced it is the stable list's order " +
      "(research §3.2); the wait_var_event loop is the generic macro's.",
    seams: { futexHashAllocateWait: futex_hash_allocate_wait_var_event },
  },
  {
    id: "fork-error-bad-unlock",
    title: "clone failing in futex_hash_allocate_default unlocks siglock and tasklist_lock it never took",
    introduced: "7c4f75a21f63 futex: Allow automatic allocation of process wide futex hash",
    fixed: "4ec3c15462b9 futex: Use correct exit on failure from futex_hash_allocate_default() (CVE-2025-39976)",
    expect: ["warn"],
    mechanism:
      "copy_process calls futex_hash_allocate_default for the first thread (any CLONE_VM clone " +
      "today) before it takes current->sighand->siglock and tasklist_lock. On failure (the per-CPU " +
      "futex_ref or the hash allocation fails: fault injection, a memcg limit) it jumped to " +
      "bad_fork_core_free, which releases both locks: lockdep's 'WARNING: bad unlock balance in " +
      "copy_process' (syzbot 80cb3cc5c14fad191a10), and an unbalanced unlock of the real locks. " +
      "The fix jumps to bad_fork_cancel_cgroup.",
    inferred:
      "sched_core_free and the cgroup unwinding are not modelled; the locks' release is lockdep's " +
      "report only (the simulated locks are left as they were).",
    seams: { copyProcessFutexFail: bad_fork_core_free_pre_4ec3c15462b9 },
  },
] as const satisfies readonly BugInfo[];
