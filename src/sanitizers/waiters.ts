// The lost-waiter sanitizer: its shadow is the futex waiters asleep in futex_wait. At quiescence
// a sleeping waiter whose futex_q is not in the bucket that futex_hash(key) of its mm's current
// hash returns can never be woken.
import type { Kernel } from "../kernel/kernel.js";
import type { Task } from "../kernel/task.js";
import { futex_hash_peek } from "../kernel/futex/core.js";
import { keyText, type FutexQ } from "../kernel/futex/hb.js";

export class Sleepers {
  /** each sleeper's futex_q (futex_waitv: several) */
  private readonly asleep = new Map<Task, readonly FutexQ[]>();

  constructor(private readonly k: Kernel) {}

  sleep(t: Task, qs: readonly FutexQ[]): void {
    this.asleep.set(t, qs);
  }

  woken(t: Task): void {
    this.asleep.delete(t);
  }

  *queues(): Iterable<FutexQ> {
    for (const qs of this.asleep.values()) yield* qs;
  }

  /** the futex_q(s) t sleeps on, if it sleeps */
  queuesOf(t: Task): readonly FutexQ[] | undefined {
    return this.asleep.get(t);
  }

  has(t: Task): boolean {
    return this.asleep.has(t);
  }

  atQuiescence(): void {
    for (const [t, qs] of this.asleep) for (const q of qs) this.check(t, q);
  }

  private check(t: Task, q: FutexQ): void {
    if (q.lock_ptr === null) return;
    const expected = futex_hash_peek(this.k, q.key);
    if (q.lock_ptr !== expected || !expected.chain.includes(q)) {
      const ctx = { id: t.id, frames: [...t.frames], preemptCount: 0 };
      this.k.report(
        "lost-waiter",
        `lost waiter: ${t.name} sleeps on ${q.lock_ptr.lock.name} but futex_hash(${keyText(q.key)}) is ${expected.lock.name}`,
        ctx,
        `waiter ${t.name} key ${keyText(q.key)} queued on ${q.lock_ptr.lock.name}; a wake would look in ${expected.lock.name}`,
      );
    }
  }
}
