// Bug switches of the mm lifecycle around the private hash (research/futex-bugs.md §3.2): each
// row installs the historical code path at one seam (src/kernel/seams.ts).
import type { BugInfo } from "./registry.js";
import { FUTEX_HASH_FREE_IN_MMDROP_e703b7e24750 } from "../kernel/futex/private.js";

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
] as const satisfies readonly BugInfo[];
