// Bug switches of PI futexes and requeue-PI (research/futex-bugs.md §3.4). Each row installs the
// historical code path at one seam (src/kernel/seams.ts); the alternative function lives next to
// the v7.2 one in the kernel file that owns it (futex/pi.ts, futex/requeue_pi.ts).
import type { BugInfo } from "./registry.js";
import { futex_lock_pi_keep_exiting_pre_210d36d892de } from "../kernel/futex/pi.js";
import { requeue_pi_wake_futex_pre_b549113738e8 } from "../kernel/futex/requeue_pi.js";

export const PI_BUGS = [
  {
    id: "requeue-pi-wake-uaf",
    title: "requeue_pi_wake_futex reads q->task after the waiter may have returned",
    introduced: "07d91ef510fb futex: Prevent requeue_pi() lock nesting issue on RT",
    fixed: "b549113738e8 futex: Prevent use-after-free during requeue-PI (syzbot 034246a838a10d181e78)",
    expect: ["use-after-free"],
    mechanism:
      "FUTEX_CMP_REQUEUE_PI takes the PI futex for the top waiter (futex_proxy_trylock_atomic) and " +
      "wakes it with requeue_pi_wake_futex: dequeue, q->lock_ptr = hb2, futex_requeue_pi_complete(q, 1) " +
      "publishes Q_REQUEUE_PI_LOCKED, then wake_up_state(q->task). A waiter woken early by a signal " +
      "sees LOCKED in futex_requeue_pi_wakeup_sync (or spins there until it is set) and returns " +
      "from futex_wait_requeue_pi at once: the futex_q on its stack is gone when the requeuer reads " +
      "q->task. The fix reads the task with READ_ONCE before publishing the state.",
    inferred:
      "the finding is KASAN's view of the dead stack frame (the futex_q is tracked as an object " +
      "that dies when futex_wait_requeue_pi returns); syzbot's report title is not quoted",
    seams: { requeuePiWakeFutex: requeue_pi_wake_futex_pre_b549113738e8 },
  },
  {
    id: "lock-pi-stale-exiting",
    title: "futex_lock_pi retry passes a stale exiting owner to wait_for_owner_exiting",
    introduced: "3ef240eaff36 futex: Prevent exit livelock",
    fixed: "210d36d892de futex: Clear stale exiting pointer in futex_lock_pi() retry path",
    expect: ["warn"],
    mechanism:
      "FUTEX_LOCK_PI on a word whose owner is between FUTEX_STATE_EXITING and _DEAD gets -EBUSY " +
      "with `exiting` holding the owner; wait_for_owner_exiting blocks on its futex_exit_mutex and " +
      "drops the task reference, and the code retries. The pointer was never cleared: when the " +
      "retry fails with -EAGAIN (the user word changed under lock_pi_update_atomic or " +
      "handle_exit_race), wait_for_owner_exiting(-EAGAIN, stale) hits WARN_ON_ONCE(exiting) " +
      "(panic_on_warn; a put_task_struct of the stale task without it). The fix sets exiting = NULL " +
      "after the wait.",
    seams: { futexLockPiRetry: futex_lock_pi_keep_exiting_pre_210d36d892de },
  },
] as const satisfies readonly BugInfo[];
