// The robust-waiter sanitizer: a lost waiter of glibc's robust mutex protocol. Its shadow: the
// tasks asleep in robust_lock's contended FUTEX_WAIT, the robust mutex words as the protocol or
// the kernel's robust code wrote them last, the waiters that were woken and have not yet acted on
// their wakeup, and the keys where the protocol's bookkeeping was broken by the program.
//
// At quiescence (nothing can run) a robust_lock waiter asleep on its mutex's key is lost when the
// word says no wake will come: its TID part is 0 (nobody owns the mutex, so nobody unlocks it) or
// it has no FUTEX_WAITERS bit (the owner's unlock is uncontended and wakes nobody). With the glibc
// protocol and the v7.2 kernel that cannot happen: a waiter sets FUTEX_WAITERS before it sleeps,
// the unlock keeps or hands on the obligation to wake, and a woken waiter that dies before it
// acts passes its wakeup on through the exit walk's pending op (handle_futex_death).
//
// It reports only what the protocol plus the kernel produced. A waiter is not checked when:
// - anything but the robust mutex code or the kernel's robust code ever wrote the word (a plain
//   store, clear_child_tid or parent_tid, a PI or FUTEX_WAKE_OP write: a later protocol write may
//   build on the broken state), or it differs from what they wrote last, or the page under the
//   mutex is not the one the waiter went to sleep on (munmap/mmap since);
// - the waiter was requeued off its mutex's key;
// - a wakeup on its key went to a task outside robust_lock (a plain futex_wait on the word);
// - a robust_lock waiter woken on its key died without the exit walk handling its pending op on
//   that mutex (its robust list was unregistered, unmapped or forged), or is still holding on to
//   its wakeup: the kernel never had the chance to resend it;
// - a robust_lock waiter woken on its key then took, or slept on, a word on another page (the
//   program remapped the mutex under it): its wakeup went to a different word.
import type { Kernel } from "../kernel/kernel.js";
import type { AddressSpace, Page } from "../kernel/memory.js";
import type { Task } from "../kernel/task.js";
import { keyText, type FutexQ } from "../kernel/futex/hb.js";
import { FUTEX_TID_MASK, FUTEX_WAITERS } from "../program/types.js";

/** a robust_lock waiter woken on its mutex's key that has not yet acted on the wakeup */
interface Woken {
  lock: number;
  /** the page under the mutex when it went to sleep */
  page: Page | null;
  key: string;
  /** the exit walk handled its pending op on this mutex */
  resent: boolean;
}

/**
 * Its maps are made on first write (null until then): one RobustWaiters is made per execution,
 * and most executions never write some of them.
 */
export class RobustWaiters {
  /** robust_lock sleepers: the mutex, the page under it and the key text they went to sleep on */
  private asleep: Map<Task, { lock: number; page: Page | null; key: string }> | null = null;
  private woken: Map<Task, Woken> | null = null;
  /** keys whose wakeups the program's own misuse may have consumed */
  private tainted: Set<string> | null = null;
  /** per page: word index -> the value the robust mutex code or the kernel's robust code wrote last */
  private words: Map<Page, Map<number, number>> | null = null;
  /** per page: the words something else wrote at some point (a store, clear_child_tid, PI code) */
  private outsiders: Map<Page, Set<number>> | null = null;

  private taint(key: string): void {
    (this.tainted ??= new Set()).add(key);
  }

  constructor(private readonly k: Kernel) {}

  /** The mutex word at addr was written by the protocol (putLock) or the kernel's robust code. */
  wrote(as: AddressSpace, addr: number): void {
    const page = as.pageAt(addr);
    const v = as.read(addr);
    if (!page || v === null) return;
    const words = (this.words ??= new Map());
    let m = words.get(page);
    if (!m) words.set(page, (m = new Map()));
    m.set((addr & 4095) >>> 2, v >>> 0);
  }

  /**
   * Something outside the robust mutex protocol wrote the word at addr: from now on its state is
   * the program's own doing (a later protocol write does not make it the protocol's again).
   */
  outside(as: AddressSpace, addr: number): void {
    const page = as.pageAt(addr);
    if (!page) return;
    const outsiders = (this.outsiders ??= new Map());
    let m = outsiders.get(page);
    if (!m) outsiders.set(page, (m = new Set()));
    m.add((addr & 4095) >>> 2);
  }

  sleep(t: Task, qs: readonly FutexQ[]): void {
    // a woken waiter that sleeps again elsewhere (its mutex was remapped under it) did not act on
    // its wakeup: the waiters of that key are the program's doing from now on
    const w = this.woken?.get(t);
    if (w) {
      this.woken!.delete(t);
      if (!(qs.length === 1 && keyText(qs[0]!.key) === w.key)) this.taint(w.key);
    }
    const op = t.ruser;
    if (op && op.op === "lock" && op.inKernel && qs.length === 1)
      (this.asleep ??= new Map()).set(t, { lock: op.lock, page: t.mm?.as.pageAt(op.lock) ?? null, key: keyText(qs[0]!.key) });
    else this.asleep?.delete(t);
  }

  /** t runs again after a sleep on qs (woken, signalled, or its wait cut short) */
  resumed(t: Task, qs: readonly FutexQ[]): void {
    const a = this.asleep?.get(t);
    if (a) this.asleep!.delete(t);
    if (a && qs.length === 1 && keyText(qs[0]!.key) === a.key) {
      (this.woken ??= new Map()).set(t, { lock: a.lock, page: a.page, key: a.key, resent: false });
      return;
    }
    for (const q of qs) this.taint(keyText(q.key));
  }

  /**
   * t's robust mutex code took the lock at `lock`: a wakeup it held is acted on, unless the word
   * it took is not the one it was woken for (the program remapped the mutex's page under it: the
   * wakeup went to another word, and that key's waiters are the program's doing)
   */
  acquired(t: Task, lock: number): void {
    const w = this.woken?.get(t);
    if (!w) return;
    this.woken!.delete(t);
    if (lock !== w.lock || (t.mm?.as.pageAt(lock) ?? null) !== w.page) this.taint(w.key);
  }

  /** the exit walk of t handles its pending op on the word at uaddr */
  pendingOp(t: Task, uaddr: number): void {
    const w = this.woken?.get(t);
    if (w && w.lock === uaddr >>> 0) w.resent = true;
  }

  /** sleeping: the lost-waiter sanitizer's view of who is asleep on which futex_q */
  atQuiescence(sleeping: (t: Task) => readonly FutexQ[] | undefined): void {
    if (this.woken) for (const [t, w] of this.woken) if (!(w.resent && t.state === "exited")) this.taint(w.key);
    if (!this.asleep) return;
    for (const [t, a] of this.asleep) {
      const qs = sleeping(t);
      const q = qs?.[0];
      if (!q || q.lock_ptr === null || keyText(q.key) !== a.key || this.tainted?.has(a.key) || !t.mm) continue;
      const as = t.mm.as;
      const page = as.pageAt(a.lock);
      const uval = as.read(a.lock);
      const w = (a.lock & 4095) >>> 2;
      if (!page || page !== a.page || uval === null || this.words?.get(page)?.get(w) !== uval >>> 0 || this.outsiders?.get(page)?.has(w)) continue;
      const free = (uval & FUTEX_TID_MASK) === 0;
      if (!free && uval & FUTEX_WAITERS) continue;
      const why = free ? "nobody owns it" : `TID ${uval & FUTEX_TID_MASK} owns it without FUTEX_WAITERS`;
      this.k.report(
        "lost-waiter",
        `lost waiter: ${t.name} sleeps in robust_lock on a robust mutex ${free ? "nobody owns" : "owned without FUTEX_WAITERS"}`,
        { id: t.id, frames: [...t.frames], preemptCount: 0 },
        `waiter ${t.name} key ${a.key}: word 0x${a.lock.toString(16)} = 0x${(uval >>> 0).toString(16)}, ${why}; no unlock or exit will wake it`,
      );
    }
  }
}
