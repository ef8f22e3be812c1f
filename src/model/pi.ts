// Reference model: PI futexes and requeue-PI, as user space sees them (futex(2), kernel/futex/
// pi.c and requeue.c comments). No priorities: every task has the same one, so an rt_mutex is a
// FIFO of waiters and nobody steals.
//
// The word: the owner's TID, FUTEX_WAITERS while the kernel may hold state for it, FUTEX_OWNER_DIED
// after an owner died. Kernel state for a word (a "pi_state": its owner, or none after the owner
// died, and the FIFO of blocked lockers) exists while some locker is queued on its key.
//   - LOCK_PI: our TID in the word: -EDEADLK. Kernel state exists: the word must agree with it
//     (OWNER_DIED and TID 0 with no owner; else the owner's TID; a plain or requeue-PI waiter
//     first on the key: no state at all) or -EINVAL; then block. No kernel state: TID 0 is taken
//     (OWNER_DIED kept, WAITERS dropped); else WAITERS is set and the owner is looked up by TID:
//     none alive (exited, or never was): -ESRCH (the WAITERS bit stays), on a private futex an
//     owner in another address space: -EPERM; else block behind the others. A signal restarts
//     the call after its handler (-ERESTARTNOINTR); SIGKILL ends it.
//   - TRYLOCK_PI: the same checks; where LOCK_PI would block, -EAGAIN (the WAITERS bit stays).
//   - UNLOCK_PI: not our TID: -EPERM. A waiter blocked: the word becomes its TID | WAITERS and it
//     owns the lock (it returns 0 when it runs); a waiter that is not a PI locker or kernel state
//     owned by somebody else: -EINVAL; no waiter: the word becomes 0. ROBUST: then the caller's
//     list_op_pending is cleared (-EFAULT if it cannot be: the robust list is dropped).
//   - An owner that exits or execs leaves its kernel state ownerless and the first blocked waiter
//     takes the lock: when it runs it writes TID | WAITERS | OWNER_DIED.
//   - WAIT_REQUEUE_PI(a1, val, a2): a1 == a2 or the same key: -EINVAL; -EAGAIN if *a1 != val; else
//     sleep on a1, to be handed a2. Before the requeue a signal restarts it; a FUTEX_WAKE or a
//     plain requeue of a1 meets it with -EINVAL. After the requeue it is a blocked LOCK_PI on a2,
//     except that a signal ends it with -EAGAIN (-EWOULDBLOCK).
//   - CMP_REQUEUE_PI(a1, a2, 1, n, cmp): nr_wake other than 1, a1 == a2 or the same key: -EINVAL;
//     *a1 != cmp: -EAGAIN. The first waiter on a1 must be a WAIT_REQUEUE_PI for a2 (-EINVAL); a2
//     is locked for it as LOCK_PI would (its errors are the call's), with WAITERS set if n > 0:
//     taken, it is woken owning a2; else it is requeued. Then up to n more (n + 1 if the first
//     was requeued) move from a1 onto a2's lock, in order; one that is not a WAIT_REQUEUE_PI for
//     a2 stops the loop with -EINVAL, one that owns a2 with -EDEADLK. Returns woken + requeued.
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS, type Addr } from "../program/types.js";
import { EAGAIN, EDEADLK, EFAULT, EINVAL, EPERM, ESRCH } from "../kernel/errno.js";
import { futexKey, type Key } from "./keys.js";
import { regionAddress } from "./memory.js";
import { Unsupported } from "./errors.js";
import type { MTask } from "./state.js";
import type { Model } from "./reference.js";

/** The PI operation a task has in flight (t.pi). */
export interface PiOp {
  /** lock: blocked on `key`'s lock; requeue: a WAIT_REQUEUE_PI still asleep on its first futex */
  kind: "lock" | "requeue";
  /** the PI word in the task's own address space */
  addr: Addr;
  /** the PI word's key */
  key: Key;
  shared: boolean;
  /** a signal restarts the call (else it returns -EWOULDBLOCK) */
  restart: boolean;
  /** WAIT_REQUEUE_PI's first futex and expected value (a restart waits on them again) */
  first: { addr: Addr; val: number } | null;
}

/** The kernel's state for a PI word: its owner (null after the owner died) and blocked lockers. */
interface PiState {
  owner: MTask | null;
  /** blocked lockers, in the order they get the lock (a woken one has left it) */
  blocked: MTask[];
}

type Locked = { taken: true; state: PiState | null } | { taken: false; state: PiState };

const abs = (a: Addr): number => regionAddress(a.region) + a.off;

export class PiModel {
  private readonly states = new Map<Key, PiState>();

  constructor(private readonly m: Model) {}

  /** does running t change what others see (it still holds kernel PI state)? */
  visibleRun(t: MTask): boolean {
    return t.pi !== null;
  }

  /**
   * Among tasks that may run in any order: a killed blocked locker and the killed owner of its
   * lock? Whoever goes first decides (the owner's exit hands the lock to the locker, which takes
   * it before it exits; the locker leaving first leaves the word alone).
   */
  exitRace(tasks: readonly MTask[]): boolean {
    return tasks.some((o) => {
      if (o.state !== "waiting" || !o.group.killed || o.pi?.kind !== "lock") return false;
      const owner = this.states.get(o.pi.key)?.owner;
      return owner !== null && owner !== undefined && owner.group.killed && tasks.includes(owner);
    });
  }

  /** Among tasks that may run in any order: a woken PI locker and a robust locker of its word? */
  robustRace(tasks: readonly MTask[]): boolean {
    const words = new Set(tasks.filter((o) => o.lockOp).map((o) => o.lockOp!.lock));
    return tasks.some((o) => o.pi !== null && o.state === "woken" && words.has(abs(o.pi.addr)));
  }

  /** FUTEX_LOCK_PI / FUTEX_TRYLOCK_PI */
  lock(t: MTask, i: number, a: Addr, shared: boolean, trylock: boolean): void {
    const key = futexKey(t.proc.id, t.proc.space, a, shared);
    if (typeof key === "number") return this.m.finish(t, i, key);
    const r = this.lockFor(t, t, key, a, false);
    if (typeof r === "number") return this.m.finish(t, i, r);
    if (r.taken) return this.m.finish(t, i, 0);
    if (trylock) return this.m.finish(t, i, EAGAIN);
    this.states.set(key, r.state);
    r.state.blocked.push(t);
    t.pi = { kind: "lock", addr: a, key, shared, restart: true, first: null };
    t.entry = i;
    this.m.waits.sleep(t, key);
  }

  /**
   * Take the word at `a` (in caller's space) for `target`, or find the state to block on.
   * Returns an errno, taken (with new kernel state owned by target if `setWaiters`), or the state.
   */
  private lockFor(caller: MTask, target: MTask, key: Key, a: Addr, setWaiters: boolean): Locked | number {
    const sp = caller.proc.space;
    const v = sp.read(a);
    const pid = v & FUTEX_TID_MASK;
    if (pid === target.tid) return EDEADLK;
    const top = this.m.waits.top(key);
    if (top) {
      const st = top.task.pi?.kind === "lock" ? this.states.get(key) : undefined;
      return st && this.agrees(st, v) ? { taken: false, state: st } : EINVAL;
    }
    if (pid === 0) {
      sp.write(a, ((v & FUTEX_OWNER_DIED) | target.tid | (setWaiters ? FUTEX_WAITERS : 0)) >>> 0);
      return { taken: true, state: setWaiters ? { owner: target, blocked: [] } : null };
    }
    sp.write(a, (v | FUTEX_WAITERS) >>> 0);
    const owner = [...this.m.tasks.values()].find((o) => o.tid === pid && o.state !== "exited");
    if (!owner) return ESRCH;
    if (!shared(key) && owner.proc !== caller.proc) return EPERM;
    return { taken: false, state: { owner, blocked: [] } };
  }

  /** Does the word agree with the kernel state (pi.c's table of valid states)? */
  private agrees(st: PiState, v: number): boolean {
    const pid = v & FUTEX_TID_MASK;
    if (v & FUTEX_OWNER_DIED) {
      if (!st.owner) return pid === 0;
      if (pid === 0) return true;
    } else if (!st.owner) return false;
    return pid === st.owner.tid;
  }

  /** FUTEX_UNLOCK_PI (| FUTEX_ROBUST_UNLOCK) */
  unlock(t: MTask, i: number, a: Addr, shared: boolean, robust: boolean): void {
    const sp = t.proc.space;
    const v = sp.readUnaligned(abs(a));
    if (v === null) return this.m.finish(t, i, EFAULT);
    if ((v & FUTEX_TID_MASK) !== t.tid) return this.m.finish(t, i, EPERM);
    const key = futexKey(t.proc.id, sp, a, shared);
    if (typeof key === "number") return this.m.finish(t, i, key);
    const top = this.m.waits.top(key);
    if (top) {
      const st = top.task.pi?.kind === "lock" ? this.states.get(key) : undefined;
      if (!st || st.owner !== t) return this.m.finish(t, i, EINVAL);
      const next = st.blocked.shift();
      if (!next) throw new Unsupported("PI state with no blocked locker");
      sp.write(a, (next.tid | FUTEX_WAITERS) >>> 0);
      st.owner = next;
      next.state = "woken";
    } else sp.write(a, 0);
    if (robust) {
      const pop = t.robustHead === null ? 0 : (t.robustHead + 8) >>> 0;
      if (!sp.writeAt(pop, 0)) {
        if (t.robustHead !== null) t.robustHead = null;
        return this.m.finish(t, i, EFAULT);
      }
    }
    this.m.finish(t, i, 0);
  }

  /** FUTEX_WAIT_REQUEUE_PI */
  waitRequeue(t: MTask, i: number, a1: Addr, val: number, a2: Addr, shared: boolean): void {
    if (abs(a1) === abs(a2)) return this.m.finish(t, i, EINVAL);
    const sp = t.proc.space;
    const k2 = futexKey(t.proc.id, sp, a2, shared);
    if (typeof k2 === "number") return this.m.finish(t, i, k2);
    const k1 = futexKey(t.proc.id, sp, a1, shared);
    if (typeof k1 === "number") return this.m.finish(t, i, k1);
    if (sp.read(a1) !== val) return this.m.finish(t, i, EAGAIN);
    if (k1 === k2) return this.m.finish(t, i, EINVAL);
    t.pi = { kind: "requeue", addr: a2, key: k2, shared, restart: true, first: { addr: a1, val } };
    t.entry = i;
    this.m.waits.sleep(t, k1);
  }

  /** FUTEX_CMP_REQUEUE_PI; returns the syscall's result */
  cmpRequeue(t: MTask, a1: Addr, a2: Addr, nrWake: number, nrRequeue: number, cmp: number, shared: boolean): number {
    if (abs(a1) === abs(a2) || nrWake !== 1) return EINVAL;
    const sp = t.proc.space;
    const k1 = futexKey(t.proc.id, sp, a1, shared);
    if (typeof k1 === "number") return k1;
    const k2 = futexKey(t.proc.id, sp, a2, shared);
    if (typeof k2 === "number") return k2;
    if (k1 === k2) return EINVAL;
    if (sp.read(a1) !== cmp) return EAGAIN;
    const top = this.m.waits.top(k1);
    if (!top) return 0;
    if (top.task.pi?.kind !== "requeue" || top.task.pi.key !== k2) return EINVAL;
    const r = this.lockFor(t, top.task, k2, a2, nrRequeue > 0);
    if (typeof r === "number") return r;
    let count = 0;
    if (r.taken) {
      // woken owning a2: nothing left to do when it runs but return 0
      top.task.pi = null;
      this.m.waits.markWoken(top);
      count = 1;
    }
    const st = r.state;
    let err = 0;
    for (const w of this.m.queue.filter((q) => q.key === k1)) {
      if (count - 1 >= nrRequeue) break;
      const op = w.task.pi;
      if (op?.kind !== "requeue" || op.key !== k2) {
        err = EINVAL;
        break;
      }
      if (!st) throw new Unsupported("requeue-PI without PI state");
      if (st.owner === w.task) {
        err = EDEADLK;
        break;
      }
      if (!st.owner && !st.blocked.length && !this.pending(k2)) throw new Unsupported("requeue-PI onto an ownerless free lock");
      this.m.queue.splice(this.m.queue.indexOf(w), 1);
      w.key = k2;
      this.m.queue.push(w);
      op.kind = "lock";
      op.restart = false;
      op.first = null;
      st.blocked.push(w.task);
      count++;
    }
    if (st && this.holders(k2)) this.states.set(k2, st);
    return err || count;
  }

  /** A task with a PI operation in flight runs (woken, or interrupted). */
  run(t: MTask): void {
    const op = t.pi!;
    if (t.state === "woken") {
      // it owns the lock now (a woken top waiter takes it even with a signal pending)
      this.take(t, op);
      t.pi = null;
      return this.m.sched.returnToUser(t, 0);
    }
    this.leave(t, op);
    t.pi = null;
    if (t.group.killed) return this.m.life.doExit(t);
    t.usr1 = false;
    t.stopped = false;
    if (!op.restart) return this.m.sched.returnToUser(t, EAGAIN);
    // -ERESTARTNOINTR: the same call again once the handler has run
    const i = t.entry;
    t.state = "user";
    const first = op.first;
    if (!t.proc.space.mapped(op.addr) || (first && !t.proc.space.mapped(first.addr))) return this.m.finish(t, i, EFAULT);
    if (first) this.waitRequeue(t, i, first.addr, first.val, op.addr, op.shared);
    else this.lock(t, i, op.addr, op.shared, false);
  }

  /** the woken top waiter takes the lock: a dead owner's word is fixed up to name it */
  private take(t: MTask, op: PiOp): void {
    const st = this.states.get(op.key)!;
    this.m.waits.unqueueAll(t);
    if (st.owner !== t) {
      const sp = t.proc.space;
      if (!sp.mapped(op.addr)) throw new Unsupported("a PI owner fixup on an unmapped word");
      const v = sp.read(op.addr);
      sp.write(op.addr, ((v & FUTEX_OWNER_DIED) | t.tid | FUTEX_WAITERS | (st.owner ? 0 : FUTEX_OWNER_DIED)) >>> 0);
      st.owner = t;
    }
    this.drop(op.key);
  }

  /** a blocked locker or requeue waiter leaves without the lock */
  private leave(t: MTask, op: PiOp): void {
    this.m.waits.unqueueAll(t);
    if (op.kind !== "lock") return;
    const st = this.states.get(op.key)!;
    st.blocked.splice(st.blocked.indexOf(t), 1);
    this.drop(op.key);
  }

  /** lockers (blocked or woken) still hold the key's state */
  private holders(key: Key): boolean {
    return this.m.queue.some((w) => w.key === key && w.task.pi?.kind === "lock");
  }

  private pending(key: Key): boolean {
    return this.m.queue.some((w) => w.key === key && w.task.pi?.kind === "lock" && w.task.state === "woken");
  }

  private drop(key: Key): void {
    if (!this.holders(key)) this.states.delete(key);
  }

  /** exit_pi_state_list at exit and exec: each lock t owns goes ownerless to its first locker */
  release(t: MTask): void {
    for (const st of this.states.values()) {
      if (st.owner !== t) continue;
      st.owner = null;
      const next = st.blocked.shift();
      if (next) next.state = "woken";
    }
  }
}

/** a private key names the process; shared ones do not (keys.ts) */
function shared(key: Key): boolean {
  return !key.startsWith("private:");
}
