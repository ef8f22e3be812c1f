// Reference model: robust futexes.
//
// Kernel side (Linux v7.2): set_robust_list only records the head (len must be 12, the 32-bit
// layout the simulator uses since user pointers are u32); get_robust_list returns it (-ESRCH for a
// task that is gone). When a thread exits or execs, the kernel walks its list: for every node
// (and last the pending op) whose word holds the thread's TID it writes
// (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED -- the TID is cleared -- and, if WAITERS was set,
// wakes one waiter with a SHARED key. For the pending op on a word it does not own it wakes one
// waiter when the word has no owner or no WAITERS bit (v7.2). The walk stops at a fault or a
// misaligned word, and after 2048 entries.
// FUTEX_WAKE|FUTEX_ROBUST_UNLOCK (contended unlock): store 0, or FUTEX_WAITERS when more
// waiters remain than it wakes; wake one; clear list_op_pending.
//
// User side (the events' own definition, src/kernel/robust_user.ts): head = {&head, -4, NULL}
// at robust_init; a mutex is the word L with its list node at L + 4; lock pushes the node at the
// front of the list; unlock unlinks it, then cmpxchg(L, TID -> 0) or, contended, the syscall.
// Positive pthread-style results (the negated errnos): 130 EOWNERDEAD, 35 EDEADLK, 1 EPERM, 16 EBUSY.
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS, type Addr } from "../program/types.js";
import { futexKey } from "./keys.js";
import { EBUSY, EDEADLK, EFAULT, EINVAL, EOWNERDEAD, EPERM, ESRCH } from "../kernel/errno.js";
import { regionAddress } from "./memory.js";
import { tidOf } from "./state.js";
import { Unsupported } from "./errors.js";
import type { Model, MTask } from "./reference.js";

export const HEAD_LEN = 12;
export const LIST_LIMIT = 2048;
export const NODE_OFFSET = 4;

/** A robust lock in progress (it may sleep in FUTEX_WAIT and continue when it runs again). */
export interface LockOp {
  lock: number;
  assume: number;
  ret: number;
}

export class RobustModel {
  constructor(readonly m: Model) {}

  private abs(a: Addr): number {
    return regionAddress(a.region) + a.off;
  }

  /** robust_init: user space writes the head, then set_robust_list(head, 12). */
  init(t: MTask, i: number, a: Addr): void {
    const sp = t.proc.space;
    const head = this.abs(a);
    if (!sp.writeAt(head, head) || !sp.writeAt(head + 4, -NODE_OFFSET >>> 0) || !sp.writeAt(head + 8, 0)) return this.m.life.segv(t);
    t.userHead = head;
    t.robustHead = head;
    this.m.finish(t, i, 0);
  }

  setRobustList(t: MTask, a: Addr, len: number): number {
    if (len !== HEAD_LEN) return EINVAL;
    t.robustHead = this.abs(a);
    return 0;
  }

  /** get_robust_list(pid of tN): find_task_by_vpid also finds a zombie leader (head cleared) */
  getRobustList(pid: number): number {
    const vpid = tidOf(pid);
    const p = [...this.m.tasks.values()].find((o) => o.tid === vpid && (o.state !== "exited" || o.tid === o.group.tgid));
    if (!p) return ESRCH;
    return p.robustHead ?? 0;
  }

  /** robust_lock */
  lock(t: MTask, i: number, a: Addr): void {
    const lock = this.abs(a);
    if (!t.proc.space.writeAt(t.userHead + 8, lock + NODE_OFFSET)) return this.m.life.segv(t);
    t.lockOp = { lock, assume: 0, ret: 0 };
    t.entry = i;
    this.lockLoop(t);
  }

  /** The lock loop; also where a woken (or signalled) locker continues when it runs again. */
  lockLoop(t: MTask): void {
    const op = t.lockOp!;
    const sp = t.proc.space;
    const done = (r: number): void => {
      t.lockOp = null;
      this.m.finish(t, t.entry, r);
    };
    for (;;) {
      const old = sp.readAt(op.lock);
      if (old === null) return this.m.life.segv(t);
      // free: 0, or FUTEX_WAITERS alone, which the v7.2 contended unlock leaves while more
      // waiters sleep ("user space no longer has to re-set it"); take it keeping WAITERS
      if ((old & ~FUTEX_WAITERS) === 0) {
        sp.writeAt(op.lock, (t.tid | (old & FUTEX_WAITERS) | op.assume) >>> 0);
        break;
      }
      if (old & FUTEX_OWNER_DIED) {
        sp.writeAt(op.lock, (t.tid | (old & FUTEX_WAITERS) | op.assume) >>> 0);
        op.ret = -EOWNERDEAD;
        break;
      }
      if ((old & FUTEX_TID_MASK) === t.tid) {
        if (!sp.writeAt(t.userHead + 8, 0)) return this.m.life.segv(t);
        return done(-EDEADLK);
      }
      if (!(old & FUTEX_WAITERS)) sp.writeAt(op.lock, (old | FUTEX_WAITERS) >>> 0);
      op.assume = FUTEX_WAITERS;
      // FUTEX_WAIT (shared) for old | WAITERS: the word is exactly that now, so it sleeps
      const key = futexKey(t.proc.id, sp, this.addrOf(op.lock), true);
      if (typeof key === "string" && sp.readAt(op.lock) === (old | FUTEX_WAITERS) >>> 0) {
        this.m.waits.sleep(t, key);
        return;
      }
    }
    // ENQUEUE_MUTEX at the front, then list_op_pending = NULL
    const node = op.lock + NODE_OFFSET;
    const first = sp.readUnaligned(t.userHead);
    if (first === null || !sp.writeAt(node, first) || !sp.writeAt(t.userHead, node)) return this.m.life.segv(t);
    if (!sp.writeAt(t.userHead + 8, 0)) return this.m.life.segv(t);
    done(op.ret);
  }

  /** robust_unlock; returns null when the task died (SIGSEGV), else the result */
  unlock(t: MTask, i: number, a: Addr): void {
    const sp = t.proc.space;
    const lock = this.abs(a);
    const v = sp.readAt(lock);
    if (v === null) return this.m.life.segv(t);
    if ((v & FUTEX_TID_MASK) !== t.tid) return this.m.finish(t, i, -EPERM);
    const node = lock + NODE_OFFSET;
    const pop = (t.userHead + 8) >>> 0;
    if (!sp.writeAt(pop, node)) return this.m.life.segv(t);
    if (!this.listDel(t, node)) return this.m.life.segv(t);
    const cur = sp.readAt(lock);
    if (cur === null) return this.m.life.segv(t);
    if (cur === t.tid) {
      sp.writeAt(lock, 0);
      if (!sp.writeAt(pop, 0)) return this.m.life.segv(t);
      return this.m.finish(t, i, 0);
    }
    const r = this.robustUnlockSyscall(t, lock, pop);
    this.m.finish(t, i, r < 0 ? r : 0);
  }

  /** robust_unlock_legacy: op_pending, list del, xchg(lock, 0), FUTEX_WAKE 1 (shared) if it had WAITERS, op_pending = 0 */
  unlockLegacy(t: MTask, i: number, a: Addr): void {
    const sp = t.proc.space;
    const lock = this.abs(a);
    const v = sp.readAt(lock);
    if (v === null) return this.m.life.segv(t);
    if ((v & FUTEX_TID_MASK) !== t.tid) return this.m.finish(t, i, -EPERM);
    const pop = (t.userHead + 8) >>> 0;
    if (!sp.writeAt(pop, lock + NODE_OFFSET)) return this.m.life.segv(t);
    if (!this.listDel(t, lock + NODE_OFFSET)) return this.m.life.segv(t);
    sp.writeAt(lock, 0);
    if (v & FUTEX_WAITERS) {
      const key = futexKey(t.proc.id, sp, this.addrOf(lock), true);
      if (typeof key !== "number") this.m.waits.wake(key, 1);
    }
    if (!sp.writeAt(pop, 0)) return this.m.life.segv(t);
    this.m.finish(t, i, 0);
  }

  /** DEQUEUE_MUTEX: unlink node (walk from the head to its predecessor). false: SIGSEGV */
  private listDel(t: MTask, node: number): boolean {
    const sp = t.proc.space;
    const head = t.userHead >>> 0;
    let prev = head;
    for (let n = 0; n < LIST_LIMIT; n++) {
      const cur = sp.readUnaligned(prev);
      if (cur === null) return false;
      if (cur === node) {
        const next = sp.readUnaligned(node);
        return next !== null && sp.writeAt(prev, next);
      }
      if (cur === head) return true;
      prev = cur;
    }
    return true;
  }

  /** futex(lock, FUTEX_WAKE | FUTEX_ROBUST_UNLOCK, 1, pop), shared */
  private robustUnlockSyscall(t: MTask, lock: number, pop: number): number {
    const sp = t.proc.space;
    const key = futexKey(t.proc.id, sp, this.addrOf(lock), true);
    if (typeof key === "number") return key;
    const waiters = this.m.queue.filter((w) => w.key === key);
    if (waiters.some((w) => w.task.pi)) throw new Unsupported("a robust unlock's wake meets a PI waiter");
    const woken = Math.min(waiters.length, 1);
    sp.writeAt(lock, waiters.length > woken ? FUTEX_WAITERS : 0);
    for (const w of waiters.slice(0, woken)) this.m.waits.markWoken(w);
    if (!sp.writeAt(pop, 0)) {
      if (t.robustHead !== null && pop === ((t.robustHead + 8) >>> 0)) t.robustHead = null;
      return EFAULT;
    }
    return woken;
  }

  /** robust_pending: list_op_pending = node; cmpxchg(lock, 0 -> TID); never linked or cleared */
  pending(t: MTask, i: number, a: Addr): void {
    const sp = t.proc.space;
    const lock = this.abs(a);
    if (!sp.writeAt(t.userHead + 8, lock + NODE_OFFSET)) return this.m.life.segv(t);
    const old = sp.readAt(lock);
    if (old === null) return this.m.life.segv(t);
    if (old !== 0) return this.m.finish(t, i, -EBUSY);
    sp.writeAt(lock, t.tid);
    this.m.finish(t, i, 0);
  }

  /** exit_robust_list at exit and exec (in the mm the task is leaving) */
  release(t: MTask): void {
    const head = t.robustHead;
    if (head === null) return;
    t.robustHead = null;
    const sp = t.proc.space;
    const fetch = (ptr: number): { entry: number; pi: boolean } | null => {
      const raw = sp.readUnaligned(ptr >>> 0);
      return raw === null ? null : { entry: (raw & ~1) >>> 0, pi: (raw & 1) !== 0 };
    };
    let cur = fetch(head);
    if (!cur) return;
    const rawOff = sp.readUnaligned(head + 4);
    if (rawOff === null) return;
    const off = rawOff | 0;
    const pending = fetch(head + 8);
    if (!pending) return;
    let limit = LIST_LIMIT;
    while (cur.entry !== head) {
      const next = fetch(cur.entry);
      if (cur.entry !== pending.entry && this.death(t, (cur.entry + off) >>> 0, cur.pi, false) !== 0) return;
      if (!next) return;
      cur = next;
      if (--limit === 0) break;
    }
    if (pending.entry !== 0) this.death(t, (pending.entry + off) >>> 0, pending.pi, true);
  }

  /** handle_futex_death */
  private death(t: MTask, uaddr: number, pi: boolean, pendingOp: boolean): number {
    if (uaddr % 4 !== 0) return -1;
    const sp = t.proc.space;
    const uval = sp.readAt(uaddr);
    if (uval === null) return -1;
    const owner = uval & FUTEX_TID_MASK;
    if (owner !== t.tid) {
      if (pendingOp && !pi && (owner === 0 || !(uval & FUTEX_WAITERS))) this.wakeShared(t, uaddr);
      return 0;
    }
    sp.writeAt(uaddr, ((uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0);
    if (!pi && uval & FUTEX_WAITERS) this.wakeShared(t, uaddr);
    return 0;
  }

  private wakeShared(t: MTask, uaddr: number): void {
    const key = futexKey(t.proc.id, t.proc.space, this.addrOf(uaddr), true);
    if (typeof key === "string") this.m.waits.wake(key, 1);
  }

  /** an absolute address as region + offset (for the key and mapping checks) */
  private addrOf(addr: number): Addr {
    const rel = addr - regionAddress(0);
    return { region: Math.floor(rel / 4096), off: rel % 4096 };
  }
}
