// Seams: the few places where a historical code path can replace the v7.2 one. The kernel is
// built with one Seams object and calls through it; it never sees bug ids. src/bugs/registry.ts
// maps each bug switch to the alternative it installs at exactly one seam.
//
// Every seam is a whole kernel function (or the one step of it that history changed); the v7.2
// function and its historical alternatives live side by side in the kernel file that owns them.
import { futex_fixup_robust_unlock, type RobustUnlockFixup } from "./futex/robust_unlock.js";
import { futex_mm_init, type FutexMmInit } from "./futex/private.js";
import { futex_private_hash_put, type FutexPrivateHashPut } from "./futex/core.js";
import { futex_ref_drop, futex_ref_hold_mm, type FutexRefDrop, type FutexRefHoldMm } from "./futex/ref.js";
import {
  futex_hash_allocate_recheck,
  futex_hash_install,
  futex_pivot_pending,
  type FutexHashAllocateRecheck,
  type FutexPivotPending,
  type ResizeStrategy,
} from "./futex/resize.js";
import { futex_unqueue, type FutexUnqueue } from "./futex/core.js";
import { futex2_requeue_flags, type Futex2RequeueFlags } from "./futex/futex2.js";
import { futex_node_invalid, type FutexNodeInvalid } from "./futex/numa.js";
import { FUTEX_HASH_FREE_IN_MMPUT, type FutexHashFreeSite } from "./futex/private.js";
import { futex_hash_allocate_wait, type FutexHashAllocateWait } from "./futex/resize_wait.js";
import { bad_fork_cancel_cgroup, type CopyProcessFutexFail } from "./fork_error.js";
import { futex_lock_pi_forget_exiting, type FutexLockPiRetry } from "./futex/pi.js";
import { requeue_pi_wake_futex, type RequeuePiWakeFutex } from "./futex/requeue_pi.js";
import { handle_futex_death_pending_wake, type RobustPendingWake } from "./futex/robust.js";

export interface Seams {
  /** exit_to_user_mode: clear list_op_pending of an interrupted robust unlock (7010c39d) */
  robustUnlockFixup: RobustUnlockFixup;
  /** mm_init -> futex_mm_init: what a new mm (mm_alloc, or dup_mm's memcpy) starts with */
  futexMmInit: FutexMmInit;
  /** futex_ref_drop: drop the initial reference of the current hash, start the switch to atomic */
  futexRefDrop: FutexRefDrop;
  /** the futex-ref transition's mm_users hold (mmget in futex_ref_drop, mmput_async at its end) */
  futexRefHoldMm: FutexRefHoldMm;
  /** futex_hash_allocate, under the mutex: back out if the global hash got installed meanwhile */
  futexHashAllocateRecheck: FutexHashAllocateRecheck;
  /** futex_hash_allocate after the allocation: how a new hash replaces the current one */
  resizeStrategy: ResizeStrategy;
  /** futex_pivot_pending: the condition a waiting PR_FUTEX_HASH_SET_SLOTS re-evaluates */
  futexPivotPending: FutexPivotPending;
  /** futex_private_hash_put: drop a reference, wake the mm's var waiters on the last one */
  futexPrivateHashPut: FutexPrivateHashPut;
  /** futex_unqueue: a waiter takes itself off its bucket through q->lock_ptr */
  futexUnqueue: FutexUnqueue;
  /** get_futex_key, FUTEX2_NUMA: reject a user-supplied node word (8337204c5889) */
  futexNodeInvalid: FutexNodeInvalid;
  /** sys_futex_requeue: the two futex_waitv entries' flags must match (19f94b390586) */
  futex2RequeueFlags: Futex2RequeueFlags;
  // -- lifecycle --
  /** futex_hash_free's caller: __mmput (v7.2) or __mmdrop (e703b7e24750) */
  futexHashFreeSite: FutexHashFreeSite;
  /** futex_hash_allocate: how a custom request waits for the previous replacement */
  futexHashAllocateWait: FutexHashAllocateWait;
  /** copy_process: the unwind after futex_hash_allocate_default() failed */
  copyProcessFutexFail: CopyProcessFutexFail;
  /** futex_lock_pi: the exiting owner pointer after wait_for_owner_exiting, before the retry */
  futexLockPiRetry: FutexLockPiRetry;
  /** requeue_pi_wake_futex: wake a requeue-PI waiter the requeue took the PI futex for */
  requeuePiWakeFutex: RequeuePiWakeFutex;
  // -- robust exit walk --
  /** handle_futex_death: does the pending op on a word the dying task does not own get a wake? */
  robustPendingWake: RobustPendingWake;
}

/** The fixed kernel (Linux v7.2). */
export const V7_2: Seams = {
  robustUnlockFixup: futex_fixup_robust_unlock,
  futexMmInit: futex_mm_init,
  futexRefDrop: futex_ref_drop,
  futexRefHoldMm: futex_ref_hold_mm,
  futexHashAllocateRecheck: futex_hash_allocate_recheck,
  resizeStrategy: futex_hash_install,
  futexPivotPending: futex_pivot_pending,
  futexPrivateHashPut: futex_private_hash_put,
  futexUnqueue: futex_unqueue,
  futexNodeInvalid: futex_node_invalid,
  futex2RequeueFlags: futex2_requeue_flags,
  futexHashFreeSite: FUTEX_HASH_FREE_IN_MMPUT,
  futexHashAllocateWait: futex_hash_allocate_wait,
  copyProcessFutexFail: bad_fork_cancel_cgroup,
  futexLockPiRetry: futex_lock_pi_forget_exiting,
  requeuePiWakeFutex: requeue_pi_wake_futex,
  robustPendingWake: handle_futex_death_pending_wake,
};
