// Bug switches of the robust futex exit walk (research/futex-bugs.md §3.4, robust-exit-extra-wake;
// docs/kernel-notes-robust.md §2.4): the two older rules for the extra wake handle_futex_death
// gives the dying task's pending op on a word it does not own. Both install their rule at the
// one seam robustPendingWake; the three rules live side by side in kernel/futex/robust.ts.
import type { BugInfo } from "./registry.js";
import { handle_futex_death_pending_wake_pre_90d758896787, handle_futex_death_pending_wake_pre_some_more } from "../kernel/futex/robust.js";

export const ROBUST_BUGS = [
  {
    id: "robust-pending-wake-uval-zero",
    title: "handle_futex_death wakes for the pending op only when the whole word is 0: a killed woken waiter swallows the wakeup",
    introduced: "ca16d5bee598 futex: Prevent robust futex exit race",
    fixed: "90d758896787 futex: Resend potentially swallowed owner death notification",
    expect: ["lost-waiter"],
    mechanism:
      "A waiter of a robust non-PI mutex is woken and killed before it takes the lock: the wakeup " +
      "dies with it. ca16d5bee598 resends it from the dying task's exit walk: its list_op_pending " +
      "names the mutex, and when the word is 0 (not owned) one waiter is woken. But a waiter " +
      "woken by the kernel after an owner died sees OWNER_DIED with TID 0, not 0, and the " +
      "waiters left behind sleep forever on a mutex nobody owns. 90d758896787 tests only the TID " +
      "part. In the simulated v7.2 protocol the same happens after a contended FUTEX_ROBUST_UNLOCK " +
      "that leaves FUTEX_WAITERS (alone) for the remaining waiters.",
    inferred:
      "The commit message and diff of 90d758896787 are read (its LKML posting, 2022-11-11); the rest of " +
      "the kernel is v7.2 (FUTEX_ROBUST_UNLOCK leaving FUTEX_WAITERS alone is 2026 code, so that " +
      "second path did not exist at the time); the pending-op test sat before the owner test then, " +
      "which is the same decision for a non-zero TID.",
    seams: { robustPendingWake: handle_futex_death_pending_wake_pre_90d758896787 },
  },
  {
    id: "robust-pending-wake-owner-zero",
    title: "handle_futex_death wakes for the pending op only when the TID part is 0: a word taken without FUTEX_WAITERS strands the sleepers",
    introduced: "90d758896787 futex: Resend potentially swallowed owner death notification",
    fixed: "futex: Prevent robust futex exit race some more (2026, in the 7.2 stable push)",
    expect: ["lost-waiter"],
    mechanism:
      "glibc's robust unlock stores 0 (clearing FUTEX_WAITERS) and wakes one waiter, which is to " +
      "set FUTEX_WAITERS again when it takes the lock. If that waiter is killed first while a " +
      "third thread took the mutex uncontended (word = its TID, no FUTEX_WAITERS), the exit walk's " +
      "pending op sees an owned word and resends nothing; the owner's unlock is uncontended and " +
      "wakes nobody: the remaining waiters sleep forever. The fix also wakes when the word has no " +
      "FUTEX_WAITERS bit (a word owned with the bit set is left to its owner's unlock).",
    inferred:
      "Only the title of the fix is verified (7.2 stable push logs); the mechanism is from the " +
      "kernel source comment as summarised in docs/kernel-notes-robust.md §2.4 ([D]). The lost " +
      "waiter needs the glibc unlock that stores 0 (robust_unlock_legacy); the v7.2 " +
      "FUTEX_ROBUST_UNLOCK keeps FUTEX_WAITERS while waiters remain and cannot strand them. The " +
      "6.18 host (before the fix) ends the reproducer with the word the switch leaves, TID without " +
      "FUTEX_WAITERS (kernel-diff rule pending-wake-some-more).",
    seams: { robustPendingWake: handle_futex_death_pending_wake_pre_some_more },
  },
] as const satisfies readonly BugInfo[];
