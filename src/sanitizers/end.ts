// End-of-run sanitizers: lost waiters at quiescence; hung tasks and leaks after teardown.
import { callers, describeObj, type Kernel } from "../kernel/kernel.js";
import { futex_hash_peek, keyText } from "../kernel/futex/core.js";
import type { Scheduler } from "../exec/scheduler.js";

/**
 * lost waiter: at quiescence, a sleeping waiter whose futex_q is not in the bucket that
 * futex_hash(key) of its mm's current hash returns can never be woken.
 */
export function checkQuiescence(k: Kernel, _s: Scheduler): void {
  for (const [t, q] of k.sleepers) {
    if (q.lock_ptr === null) continue;
    const expected = futex_hash_peek(k, q.key);
    if (q.lock_ptr !== expected || !expected.chain.includes(q)) {
      const ctx = { id: t.id, frames: [...t.frames], preemptCount: 0 };
      k.report(
        "lost-waiter",
        `lost waiter: ${t.name} sleeps on ${q.lock_ptr.lock.name} but futex_hash(${keyText(q.key)}) is ${expected.lock.name}`,
        ctx,
        `waiter ${t.name} key ${keyText(q.key)} queued on ${q.lock_ptr.lock.name}; a wake would look in ${expected.lock.name}`,
      );
    }
  }
}

/** hung task: after teardown (every group killed), a task that still has not exited. */
export function checkTeardown(k: Kernel, s: Scheduler): void {
  for (const t of k.tasks.values()) {
    if (t.state === "exited") continue;
    const where = s.blockedLabel(t) ?? "the kernel";
    k.report("hung-task", `INFO: task ${t.name} blocked for more than 120 seconds in ${where}`, { id: t.id, frames: [...t.frames], preemptCount: 0 });
  }
  // leak: every heap object and per-CPU allocation must be gone
  const leaked = k.heap.live();
  if (leaked.length) {
    const o = leaked[0]!;
    const at = o.allocStack.length ? o.allocStack[o.allocStack.length - 1]! : "unknown";
    k.report(
      "leak",
      `memory leak in ${at}`,
      { id: -1, frames: [...o.allocStack], preemptCount: 0 },
      `unreferenced object ${describeObj(o)} allocated at event ${o.allocEvent} by: ${callers(o.allocStack)}` +
        (leaked.length > 1 ? `\n(${leaked.length - 1} more unreferenced objects)` : ""),
    );
  }
}
