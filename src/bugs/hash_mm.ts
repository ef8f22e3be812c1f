// Bug switches of the private hash, futex-ref and mm lifecycle (research/futex-bugs.md §3.1, §3.2).
// Each row installs the historical code path at one seam (src/kernel/seams.ts); the alternative
// function lives next to the v7.2 one in the kernel file that owns it.
import type { BugInfo } from "./registry.js";
import { futex_mm_init_1b708b38414d, futex_mm_init_56180dd20c19, futex_mm_init_pre_a24cc6ce1933 } from "../kernel/futex/private.js";
import { futex_private_hash_put_pre_1c7efabfbaf7 } from "../kernel/futex/core.js";
import { futex_ref_drop_pre_futex_batches, futex_ref_hold_mm_v1 } from "../kernel/futex/ref.js";
import {
  futex_hash_allocate_recheck_pre_69a14d146f3b,
  futex_hash_install_v4,
  futex_pivot_pending_pre_19b4be0717fa,
} from "../kernel/futex/resize.js";
import { futex_unqueue_pre_private_hash } from "../kernel/futex/core.js";

export const HASH_MM_BUGS = [
  {
    id: "resize-lost-waiter-v4",
    title: "v4 resize wakes the old table's waiters; a waiter that already holds the old table queues there after the wake-all",
    introduced: "[PATCH v4 06/11] futex: Allow to re-allocate the private hash bucket (2024-12-03, never merged)",
    fixed: "redesigned after tglx's review of 2024-12-10 (seed 004): refs only around bucket ops, rehash moves waiters (bd54df5ea7ca)",
    expect: ["lost-waiter", "hung-task"],
    mechanism:
      "v4 swapped mm->futex_hash_bucket for the new table at once and then woke every task queued " +
      "on the old table (futex_put_old_hb_p) so that it would requeue itself on the new one. A " +
      "futex_wait that loaded the old table and got its reference before the swap is not queued " +
      "yet when the wake-all walks the buckets; it queues on the old table afterwards and sleeps " +
      "on a table no futex_hash() returns any more: a later FUTEX_WAKE looks in the new table.",
    inferred:
      "The v4 allocate/swap code around futex_put_old_hb_p (quoted in the review) is reconstructed: " +
      "swap under the hash lock, then the wake-all, no waiting and no 'lesser request' rule. v4 " +
      "freed the old table at its last rcuref put and held the reference across schedule(); the " +
      "simulator keeps v7.2's wait path (no reference while asleep) and per-mm futex-ref counters, " +
      "so the swapped-out table is kept until __mmput (MmFutex.retired). Woken waiters requeue " +
      "through the real futex_wait spurious-wakeup retry.",
    seams: { resizeStrategy: futex_hash_install_v4 },
  },
  {
    id: "old-fph-inc-not-zero-bias",
    title: "futex_ref_drop biases the shared atomic without a grace period since the hash was published",
    introduced: "pre-merge versions of 56180dd20c19 futex: Use RCU-based per-CPU reference counting instead of rcuref_t",
    fixed: "56180dd20c19 as merged (mm->futex_batches + poll_state_synchronize_rcu, else call_rcu_hurry)",
    expect: ["lost-waiter", "use-after-free", "hung-task"],
    mechanism:
      "futex_hash() loads mm->futex_phash under RCU (the old hash, dead: FR_ATOMIC, atomic 0). " +
      "Another task pivots to the new hash (rehashing the old one's waiters, kvfree_rcu(old)) and " +
      "a second resize immediately drops the new hash: futex_ref_drop starts the switch at once, " +
      "setting the per-mm atomic to the LONG_MAX bias. The first task's inc_not_zero on the OLD " +
      "hash now succeeds, it queues on the old table after the rehash and sleeps there: no wake " +
      "can reach it, and the table is freed one grace period later (a signal then unqueues from " +
      "freed memory).",
    inferred:
      "The exact pre-merge futex_ref_drop is not public; the race and the rule are the code comment " +
      "of 56180dd20c19 (seed 000). The alternative is futex_ref_drop without the futex_batches " +
      "poll, beginning the atomic switch at once.",
    seams: { futexRefDrop: futex_ref_drop_pre_futex_batches },
  },
  {
    id: "futex-ref-rcu-after-mm-free",
    title: "futex_ref_rcu runs on a freed mm_struct when the process exits during the futex-ref transition",
    introduced: "v1 of futex: Use RCU-based per-CPU reference counting instead of rcuref_t (2025-07-08)",
    fixed: "v2, merged as 56180dd20c19 (mmget in futex_ref_drop, mmput_async in __futex_ref_atomic_end)",
    expect: ["use-after-free"],
    mechanism:
      "futex_ref_drop queues futex_ref_rcu on mm->futex_rcu (call_rcu_hurry) but keeps no mm " +
      "reference. If every thread exits before the callbacks ran, __mmput frees the hashes and " +
      "mmdrop frees the mm_struct; the callback then reads mm->futex_phash from freed memory " +
      "(reported as a NULL RIP in rcu_core).",
    inferred: "Which v1 function lacked what is from the v2 changelog ('[bigeasy: ... mm get/ put_async]'); v1's code was not read.",
    seams: { futexRefHoldMm: futex_ref_hold_mm_v1 },
  },
  {
    id: "global-hash-request-race",
    title: "two PR_FUTEX_HASH_SET_SLOTS requests race; the second drops and rehashes the 0-slot global marker",
    introduced: "bd54df5ea7ca futex: Allow to resize the private local hash",
    fixed: "69a14d146f3b futex: Verify under the lock if hash can be replaced (v6.16-rc3)",
    expect: ["out-of-bounds", "use-after-free"],
    mechanism:
      "futex_hash_allocate checks 'global hash already installed?' only before taking the mutex. " +
      "T1 passes that check; T2 installs the 0-slot hash; T1 then drops it as if it were a real " +
      "hash and, once it is dead, __futex_pivot_hash rehashes it: futex_rehash_private walks " +
      "queues[0 .. hash_mask] of a table with no buckets (KASAN in __futex_pivot_hash, syzkaller).",
    seams: { futexHashAllocateRecheck: futex_hash_allocate_recheck_pre_69a14d146f3b },
  },
  {
    id: "fork-copies-phash-new",
    title: "fork during a pending resize: the child inherits the parent's futex_phash_new",
    introduced: "bd54df5ea7ca futex: Allow to resize the private local hash",
    fixed: "a24cc6ce1933 futex: Initialize futex_phash_new during fork() (v6.16-rc4)",
    expect: ["double-free", "use-after-free"],
    mechanism:
      "dup_mm memcpy()s the parent's mm; futex_mm_init reset futex_phash and the mutex but not " +
      "futex_phash_new. With a resize pending in the parent the child's phash_new points at the " +
      "parent's pending hash: the child's first thread installs it (or frees it as the 'lesser' " +
      "of two racing updates), its exit kvfree()s it in futex_hash_free, and the parent pivots to " +
      "it or frees it again.",
    seams: { futexMmInit: futex_mm_init_pre_a24cc6ce1933 },
  },
  {
    id: "futex-ref-leak-mm_alloc",
    title: "per-CPU futex_ref allocated in futex_mm_init leaks when an mm is dropped with mmdrop only",
    introduced: "56180dd20c19 futex: Use RCU-based per-CPU reference counting instead of rcuref_t",
    fixed: "e703b7e24750 futex: Move futex cleanup to __mmdrop() (then d9b05321e21e allocates it lazily)",
    expect: ["leak"],
    mechanism:
      "futex_mm_init allocated mm->futex_ref for every mm (mm_alloc and dup_mm); only " +
      "futex_hash_free, called from __mmput, freed it. An mm that never had users, dropped with " +
      "mmdrop (exec failing after mm_alloc in bprm_mm_init; debug_vm_pgtable at boot) leaks the " +
      "4-byte per-CPU object (kmemleak, seed 001).",
    seams: { futexMmInit: futex_mm_init_56180dd20c19 },
  },
  {
    id: "fork-copies-futex-ref",
    title: "dup_mm keeps the parent's per-CPU futex_ref in the child",
    introduced: "first version of d9b05321e21e (1b708b38414d in a pre-fold tree)",
    fixed: "d9b05321e21e as merged (folded in 'futex: Initialize mm_struct::futex_ref on mm_init()')",
    expect: ["use-after-free", "double-free", "refcount", "warn"],
    mechanism:
      "futex_ref became lazily allocated by futex_hash_allocate, but futex_mm_init did not reset " +
      "it, so a forked child kept the parent's pointer: the child's hash counts on the parent's " +
      "per-CPU counter (its initial reference is never armed), the child's __mmput frees the " +
      "parent's counter, and the parent's next futex op or exit uses or frees it again.",
    seams: { futexMmInit: futex_mm_init_1b708b38414d },
  },
  {
    id: "pivot-pending-lost-wakeup",
    title: "futex_pivot_pending reads phash_new and phash under RCU only; a concurrent pivot leaves SET_SLOTS asleep",
    introduced: "56180dd20c19 futex: Use RCU-based per-CPU reference counting instead of rcuref_t (predicate on futex-ref)",
    fixed: "futex: Fix race in futex_pivot_pending() during private hash resize (stable 19b4be0717fa, 2026)",
    expect: ["hung-task"],
    mechanism:
      "The waiting prctl is woken once, when the old hash dies. It re-evaluates the predicate: " +
      "phash_new is set; before it reads phash another task's futex_hash fails to get the dead " +
      "hash and pivots (clears phash_new, publishes the new FR_PERCPU hash). The prctl reads the " +
      "new hash, which is not dead, and sleeps; nothing calls wake_up_var(mm) again.",
    inferred:
      "Only the fix's title is verified; the old predicate is the v6.17 C code, the interleaving " +
      "is inferred (research §3.2). The wait around it is v7.2's open-coded wait_woken loop, which " +
      "loses no wakeup that wait_var_event would not.",
    seams: { futexPivotPending: futex_pivot_pending_pre_19b4be0717fa },
  },
  {
    id: "final-put-uaf",
    title: "futex_private_hash_put reads fph->mm after the final put; the hash can be freed in between",
    introduced: "56180dd20c19 futex: Use RCU-based per-CPU reference counting instead of rcuref_t (put + wake_up_var(fph->mm))",
    fixed: "1c7efabfbaf7 futex: Avoid private hash use-after-free on final put (stable 12cd315a7b6a)",
    expect: ["use-after-free"],
    mechanism:
      "In the FR_ATOMIC phase the last put brings mm->futex_atomic to 0 and then calls " +
      "wake_up_var(fph->mm). Between the two the task is preemptible: another task's futex_hash " +
      "sees the dead hash, pivots, kvfree_rcu()s it, a grace period passes, and the read of " +
      "fph->mm hits freed memory.",
    inferred: "Only the fix's title and the shape of the fixed code (mm read before the put) are known; the interleaving is inferred.",
    seams: { futexPrivateHashPut: futex_private_hash_put_pre_1c7efabfbaf7 },
  },
  {
    id: "unqueue-needs-rcu",
    title: "futex_unqueue without rcu_read_lock: a rehash moves the waiter and the old table is freed before it locks lock_ptr",
    introduced: "resizable private hash designs of 2024-12 (futex_unqueue as it was for the never-freed global hash)",
    fixed: "tglx's review follow-up of 2024-12-11; futex_unqueue runs under RCU since bd54df5ea7ca",
    expect: ["use-after-free"],
    mechanism:
      "A waiter woken by a signal reads q->lock_ptr (a bucket of the old table) and is preempted. " +
      "The resize rehashes it into the new table, publishes, kvfree_rcu()s the old table, and a " +
      "grace period completes because the waiter is not in an RCU read-side section. Its " +
      "spin_lock(lock_ptr) then touches the freed table.",
    inferred:
      "The race is from the review thread (research §3.1); the alternative is the classic " +
      "futex_unqueue (no RCU), not code from a posted private-hash version.",
    seams: { futexUnqueue: futex_unqueue_pre_private_hash },
  },
] as const satisfies readonly BugInfo[];
