// Reference model: the sleeping waiters. ONE FIFO list of futex_q's, each with its key; per key
// this is the wake order. FUTEX_WAIT sleeps when the word holds the expected value; FUTEX_WAKE
// wakes the oldest; FUTEX_(CMP_)REQUEUE wakes some and moves others behind key2's sleepers.
// A PI waiter (lock_pi, or wait_requeue_pi before or after its requeue) is not a plain waiter:
// the wakes and plain requeues stop at it with -EINVAL (the kernel's "pi_state || rt_waiter").
import type { Addr } from "../program/types.js";
import { futexKey, type Key } from "./keys.js";
import { EAGAIN, EINVAL } from "../kernel/errno.js";
import type { MTask, Waiter } from "./state.js";
import type { Model } from "./reference.js";

export class WaitQueue {
  /** every sleeping waiter, oldest first (per key, this is the FIFO wake order) */
  readonly list: Waiter[] = [];

  constructor(private readonly m: Model) {}

  futexWait(t: MTask, i: number, a: Addr, val: number, shared: boolean): void {
    const key = futexKey(t.proc.id, t.proc.space, a, shared);
    if (typeof key === "number") return this.m.setRet(i, key);
    if (t.proc.space.read(a) !== val) return this.m.setRet(i, EAGAIN);
    t.entry = i;
    this.sleep(t, key);
  }

  /** queue t (its syscall in flight is t.entry) */
  sleep(t: MTask, key: Key): void {
    this.list.push({ task: t, key });
    t.state = "waiting";
  }

  /** the first waiter queued on key (futex_top_waiter), if any */
  top(key: Key): Waiter | undefined {
    return this.list.find((w) => w.key === key);
  }

  /**
   * Wake up to nr waiters of key, oldest first; nr 0 still wakes one (legacy FUTEX_WAKE).
   * A PI waiter in the way: -EINVAL (the ones before it stay woken).
   */
  wake(key: Key, nr: number): number {
    const n = Math.max(nr, 1);
    let woken = 0;
    for (const w of [...this.list]) {
      if (w.key !== key) continue;
      if (w.task.pi) return EINVAL;
      this.markWoken(w);
      if (++woken >= n) break;
    }
    return woken;
  }

  markWoken(w: Waiter): void {
    this.list.splice(this.list.indexOf(w), 1);
    const again = w.task.state === "woken";
    w.task.state = "woken";
    w.task.maybeReturned = false;
    // futex_waitv: its other entries stay queued until it runs; it returns the largest woken index
    w.task.wokenRet = w.index === undefined ? 0 : again ? Math.max(w.task.wokenRet, w.index) : w.index;
    // a plain FUTEX_WAIT returns 0; a robust lock goes on with its loop when it runs
    if (!w.task.lockOp) this.m.setRet(w.task.entry, w.task.wokenRet);
  }

  /** t's waiters still queued (futex_waitv's other entries) go: it is running again */
  unqueueAll(t: MTask): void {
    for (let j = this.list.length - 1; j >= 0; j--) if (this.list[j]!.task === t) this.list.splice(j, 1);
  }

  /**
   * FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wake the first nr_wake waiters of key1, move the next
   * nr_requeue to key2 (behind key2's waiters); returns woken + requeued. CMP: -EAGAIN when the
   * word at uaddr1 is not `cmp`. A requeue onto the same key leaves the waiters where they are.
   */
  requeue(t: MTask, a1: Addr, a2: Addr, nrWake: number, nrRequeue: number, cmp: number | null, shared: boolean): number {
    const sp = t.proc.space;
    const k1 = futexKey(t.proc.id, sp, a1, shared);
    if (typeof k1 === "number") return k1;
    const k2 = futexKey(t.proc.id, sp, a2, shared);
    if (typeof k2 === "number") return k2;
    return this.requeueKeys(cmp === null || sp.read(a1) === cmp, k1, k2, nrWake, nrRequeue);
  }

  /** The requeue itself, once the keys are taken and the CMP word compared (`cmpOk`). */
  requeueKeys(cmpOk: boolean, k1: Key, k2: Key, nrWake: number, nrRequeue: number): number {
    if (!cmpOk) return EAGAIN;
    const matching = this.list.filter((w) => w.key === k1);
    const total = Math.min(matching.length, nrWake + nrRequeue);
    const moved: Waiter[] = [];
    let n = 0;
    for (; n < total; n++) {
      const w = matching[n]!;
      if (w.task.pi) break; // a PI waiter: -EINVAL, what was done before it stays done
      if (n < nrWake) this.markWoken(w);
      else moved.push(w);
    }
    if (k1 !== k2) {
      for (const w of moved) {
        this.list.splice(this.list.indexOf(w), 1);
        w.key = k2;
        this.list.push(w);
      }
    }
    if (this.m.opts.faults?.requeueDropsLast && moved.length) {
      const lost = moved[moved.length - 1]!;
      this.list.splice(this.list.indexOf(lost), 1);
    }
    return n < total ? EINVAL : total;
  }
}
