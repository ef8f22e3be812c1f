// kernel/sched/wait_bit.c: wake_up_var() and the open-coded wait on a variable's wait queue
// (add_wait_queue + wait_woken), as futex_hash_allocate() uses it since "Fix might_sleep()
// warning in futex_pivot_pending()". A wake sets WQ_FLAG_WOKEN on every entry waiting on that
// variable; wait_woken() sleeps only while the flag is clear and clears it when it returns.
import type { Kernel } from "./kernel.js";
import { might_sleep, waitUntil, type KGen, type LockOwner } from "./sched.js";

/** A wait_queue_entry on var_waitqueue(var). */
export class VarWaitEntry {
  /** WQ_FLAG_WOKEN */
  woken = false;
  constructor(
    readonly var_: object,
    readonly owner: LockOwner,
  ) {}
}

/** add_wait_queue(__var_waitqueue(var), entry) */
export function add_var_wait_queue(k: Kernel, owner: LockOwner, var_: object): VarWaitEntry {
  const e = new VarWaitEntry(var_, owner);
  k.varWaiters.push(e);
  return e;
}

/** remove_wait_queue() */
export function remove_var_wait_queue(k: Kernel, e: VarWaitEntry): void {
  const i = k.varWaiters.indexOf(e);
  if (i >= 0) k.varWaiters.splice(i, 1);
}

/** wake_up_var(var): wake every waiter of this variable (woken_wake_function sets WOKEN). */
export function wake_up_var(k: Kernel, var_: object): void {
  for (const e of k.varWaiters) if (e.var_ === var_) e.woken = true;
}

/** wait_woken(entry, TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT) */
export function* wait_woken(k: Kernel, e: VarWaitEntry, label: string): KGen {
  might_sleep(k, e.owner, "schedule");
  yield* waitUntil(label, () => e.woken, "uninterruptible");
  e.woken = false;
}
