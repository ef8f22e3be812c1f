// Bug switches of futex2 and FUTEX2_NUMA (research/futex-bugs.md §3.3, §3.4). Each row installs
// the historical code path at one seam (src/kernel/seams.ts); the alternative function lives
// next to the v7.2 one in the kernel file that owns it (futex/futex2.ts, futex/numa.ts).
import type { BugInfo } from "./registry.js";
import { futex2_requeue_flags_pre_19f94b390586 } from "../kernel/futex/futex2.js";
import { futex_node_invalid_pre_8337204c5889 } from "../kernel/futex/numa.js";

export const FUTEX2_BUGS = [
  {
    id: "futex2-requeue-mixed-flags",
    title: "sys_futex_requeue with different flags requeues a shared futex's waiter into the caller's private hash",
    introduced: "0f4b5f972216 futex: Add sys_futex_requeue() (v6.7)",
    fixed: "19f94b390586 futex: Require sys_futex_requeue() to have identical flags (2026-03, CVE-2026-31554)",
    expect: ["use-after-free", "lost-waiter"],
    mechanism:
      "sys_futex_requeue took the flags of its two futex_waitv entries separately (for futexes of " +
      "different sizes) and handed both to futex_requeue. With entry 0 shared and entry 1 private, " +
      "a waiter of another process sleeping on a shared (file) futex is requeued onto a private " +
      "key of the caller: into a bucket of the caller's private hash. That hash belongs to the " +
      "caller's mm; when the caller's process exits, __mmput -> futex_hash_free frees it while the " +
      "waiter still sleeps with q->lock_ptr pointing into it. When the waiter is woken by a signal, " +
      "futex_unqueue locks the freed bucket. " +
      "(Requeued while the caller has no private hash yet, the waiter lands in the global hash with " +
      "a private key; once the caller's private hash exists, a wake of that key looks there: a lost waiter.)",
    inferred:
      "The fix's message says only that an LLM found a use-after-free with different flags. The " +
      "path to the free (the requeuer's mm exiting, futex_hash_free of its private hash) is the " +
      "v7.2 private hash's; on kernels before the private hash the UaF must have gone another way.",
    seams: { futex2RequeueFlags: futex2_requeue_flags_pre_19f94b390586 },
  },
  {
    id: "numa-negative-node",
    title: "FUTEX2_NUMA node word -2 passes the signed MAX_NUMNODES check and node_possible() reads before node_possible_map",
    introduced: "cec199c5e39b futex: Implement FUTEX2_NUMA (v6.16-rc1)",
    fixed: "8337204c5889 futex: Handle invalid node numbers supplied by user (v6.16-rc3, syzbot 9afaf6749e3a7aa1bdf3)",
    expect: ["out-of-bounds"],
    mechanism:
      "get_futex_key reads the node word at uaddr + size for FUTEX2_NUMA into an int and rejected " +
      "`node >= MAX_NUMNODES || !node_possible(node)` unless it is FUTEX_NO_NODE (-1). A negative " +
      "node other than -1 passes the signed comparison and node_possible() tests a bit at a " +
      "negative index: KASAN reports the out-of-bounds read of node_possible_map. The fix " +
      "compares (unsigned int)node.",
    inferred: "The syzbot report's access (node_possible's test_bit) is from the fix's message; the report itself was not read.",
    seams: { futexNodeInvalid: futex_node_invalid_pre_8337204c5889 },
  },
] as const satisfies readonly BugInfo[];
