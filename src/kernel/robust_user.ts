// User space's side of robust futexes: glibc's robust mutex (errorcheck kind, process-shared
// futex ops, as glibc uses for every robust mutex) and the vDSO try_unlock of Linux v7.2. These
// run as task events in user mode: every `yield` is a user instruction boundary, not kernel code.
//
// Mutex layout: the u32 lock word at L, its list node (one u32 `next`) at L + 4, so robust_init
// sets futex_offset = -4. Return values (pthread style, positive errors: -EPERM is 1):
//   robust_lock    0 acquired; 130 EOWNERDEAD acquired from a dead owner (glibc clears
//                  OWNER_DIED: word = TID | WAITERS-if-needed); 35 EDEADLK already ours
//   robust_unlock  0 released; 1 EPERM not ours; a negative errno if FUTEX_ROBUST_UNLOCK failed
//   robust_unlock_legacy  0 released; 1 EPERM not ours
//   robust_pending 0 word taken (cmpxchg 0 -> TID), 16 EBUSY otherwise; never linked, pending kept
//   robust_init    the set_robust_list result (0)
// A fault in user mode is SIGSEGV, which kills the thread group (the event returns nothing).
import type { Addr } from "../program/types.js";
import { EBUSY, EDEADLK, EOWNERDEAD, EPERM } from "./errno.js";
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS, PAGE_SIZE } from "../program/types.js";
import type { Kernel } from "./kernel.js";
import { regionAddress } from "./memory.js";
import { WordTag } from "./hooks.js";
import type { KGen, Point } from "./sched.js";
import type { Task } from "./task.js";
import { force_sigsegv } from "./signal.js";
import { UNLOCK_IP, UNLOCK_IP_DONE } from "./vdso.js";
import { get_futex_key } from "./futex/core.js";
import { futex_wait, futex_wake } from "./futex/waitwake.js";
import { futex_robust_unlock } from "./futex/robust_unlock.js";
import { HEAD_FUTEX_OFFSET, HEAD_LIST_OP_PENDING, HEAD_NEXT, ROBUST_HEAD_LEN, ROBUST_LIST_LIMIT, sys_set_robust_list } from "./futex/robust.js";

/** node = &mutex->list = lock word + 4 */
export const NODE_OFFSET = 4;

/** Why a robust mutex event cannot run now (skipped), or null. */
export function robust_mutex_precondition(t: Task, a: Addr, what: "head" | "mutex"): string | null {
  if (!t.mm?.as.regions.has(a.region)) return `m${a.region} is not mapped`;
  if (what === "head") return a.off % 4 === 0 ? null : `a robust list head must be 4-byte aligned`;
  if (a.off % 4 !== 0 || a.off + NODE_OFFSET + 4 > PAGE_SIZE) return `no robust mutex fits at m${a.region}+${a.off}`;
  if (t.userHead === 0) return `${t.name} has no robust list head (robust_init)`;
  return null;
}

/** force_sig(SIGSEGV): the default action kills the whole thread group. */
const segv = force_sigsegv;

function read(t: Task, addr: number): number | null {
  return t.mm ? t.mm.as.readUnaligned(addr >>> 0) : null;
}

/** A store by the robust mutex code into list metadata (the sanitizer is told what it is). */
function putMeta(k: Kernel, t: Task, addr: number, v: number, tag: WordTag): boolean {
  addr >>>= 0;
  if (addr & 3 || !t.mm || !t.mm.as.write(addr, v)) return false;
  k.hooks.userRobustWrite(t.mm.as, addr, tag, t.tid);
  return true;
}

/**
 * A link the mutex code copies from one metadata word to another (list add: node->next =
 * head->next; list del: prev->next = node->next). The copy is the task's own metadata only if
 * the word it came from was: a pointer another thread (or a plain store) left in this task's
 * head or node stays a forgery when the list code moves it along.
 */
function copyMeta(k: Kernel, t: Task, addr: number, v: number, from: number, fromRole: "head" | "node", tag: WordTag): boolean {
  if (!t.mm || k.hooks.robustTrusted(t.mm.as, from >>> 0, t.tid, fromRole)) return putMeta(k, t, addr, v, tag);
  addr >>>= 0;
  if (addr & 3 || !t.mm.as.write(addr, v)) return false;
  k.hooks.userStore(t.mm.as, addr, v);
  return true;
}

/** The mutex word changes hands in user space (cmpxchg by the mutex code). */
function putLock(k: Kernel, t: Task, lock: number, v: number): boolean {
  if (!t.mm || !t.mm.as.write(lock, v)) return false;
  k.hooks.userRobustWrite(t.mm.as, lock, WordTag.RobustMutex, v & FUTEX_TID_MASK);
  return true;
}

/** The return to user space of a syscall made from user code: true when the task must die. */
function syscall_exit_kills(t: Task): boolean {
  if (t.group.killed) return true;
  t.sigusr1 = false; // a caught signal's handler runs; the interrupted code carries on
  t.jobStop = false; // a group stop ends with SIGCONT: the same
  return false;
}

/** ENQUEUE_MUTEX: push the node at the front of the list. */
function list_add(k: Kernel, t: Task, head: number, node: number): boolean {
  if (t.mm) k.hooks.robustListAdd(t, t.mm.as, head, node);
  const first = read(t, head + HEAD_NEXT);
  return first !== null && copyMeta(k, t, node, first, head + HEAD_NEXT, "head", WordTag.RobustNode) && putMeta(k, t, head + HEAD_NEXT, node, WordTag.RobustHead);
}

/** DEQUEUE_MUTEX: unlink the node (the list is singly linked here, so walk to its predecessor). */
function list_del(k: Kernel, t: Task, head: number, node: number): boolean {
  let prev = head >>> 0;
  for (let i = 0; i < ROBUST_LIST_LIMIT; i++) {
    const cur = read(t, prev);
    if (cur === null) return false;
    if (cur === node) {
      const next = read(t, node);
      return next !== null && copyMeta(k, t, prev, next, node, "node", prev === head ? WordTag.RobustHead : WordTag.RobustNode);
    }
    if (cur === head) return true; // not on the list
    prev = cur;
  }
  return true;
}

/**
 * Run a robust mutex operation with its state published on the task (t.ruser) from the moment
 * the event starts (an `@0` stop included), until it ends.
 */
function userOp(t: Task, op: "lock" | "unlock" | "pending", lock: number, body: KGen<number | null>): KGen<number | null> {
  t.ruser = { op, lock, done: 0, inKernel: false };
  return new UserOp(t, body);
}

/**
 * The body's points, then (when it returns or throws) the end of the operation: t.ruser cleared,
 * the registers back outside the mutex code. An iterator object rather than a wrapper generator
 * (`try { return yield* body } finally { ... }`): no second generator per operation, and each
 * point costs a method call instead of a second generator resume.
 */
class UserOp implements KGen<number | null> {
  constructor(
    private readonly t: Task,
    private readonly body: KGen<number | null>,
  ) {}
  next(): IteratorResult<Point, number | null> {
    // (written out, not through step(): no closure per point)
    let r: IteratorResult<Point, number | null>;
    try {
      r = this.body.next();
    } catch (e) {
      this.end();
      throw e;
    }
    if (r.done) this.end();
    return r;
  }
  return(value: number | null): IteratorResult<Point, number | null> {
    try {
      return this.body.return(value);
    } finally {
      this.end();
    }
  }
  throw(e: unknown): IteratorResult<Point, number | null> {
    return this.step(() => this.body.throw(e));
  }
  [Symbol.iterator](): this {
    return this;
  }
  /** One resume of the body; the operation ends when the body returns or throws. */
  private step(resume: () => IteratorResult<Point, number | null>): IteratorResult<Point, number | null> {
    let r: IteratorResult<Point, number | null>;
    try {
      r = resume();
    } catch (e) {
      this.end();
      throw e;
    }
    if (r.done) this.end();
    return r;
  }
  private end(): void {
    this.t.ruser = null;
    this.t.regs = { ip: 0, zf: false, dx: 0 };
  }
}

/** robust_init: glibc's head setup ({&head, futex_offset, NULL}) and set_robust_list(head, 12). */
export function* user_robust_init(k: Kernel, t: Task, a: Addr): KGen<number | null> {
  const head = regionAddress(a.region) + a.off;
  if (
    !putMeta(k, t, head + HEAD_NEXT, head, WordTag.RobustHead) ||
    !putMeta(k, t, head + HEAD_FUTEX_OFFSET, -NODE_OFFSET, WordTag.RobustHead) ||
    !putMeta(k, t, head + HEAD_LIST_OP_PENDING, 0, WordTag.RobustHead)
  )
    return segv(t);
  t.userHead = head;
  k.hooks.robustUser(t, "init", 0);
  yield "user: robust_init: head = { &head->list, -4, NULL }";
  return sys_set_robust_list(t, head, ROBUST_HEAD_LEN);
}

/** robust_lock: glibc's robust mutex lock (contended: FUTEX_WAITERS + shared FUTEX_WAIT). */
export function user_robust_lock(k: Kernel, t: Task, a: Addr): KGen<number | null> {
  const lock = regionAddress(a.region) + a.off;
  return userOp(t, "lock", lock, robust_lock(k, t, lock));
}

function* robust_lock(k: Kernel, t: Task, lock: number): KGen<number | null> {
  const node = lock + NODE_OFFSET;
  const pop = t.userHead + HEAD_LIST_OP_PENDING;
  if (!putMeta(k, t, pop, node, WordTag.RobustHead)) return segv(t);
  k.hooks.robustUser(t, "acquiring", lock);
  yield "user: robust_lock: head->list_op_pending = &mutex->list";
  let assume = 0;
  let ret = 0;
  for (;;) {
    const old = read(t, lock);
    if (old === null) return segv(t);
    // free: 0, or FUTEX_WAITERS alone, which FUTEX_ROBUST_UNLOCK leaves when waiters remain
    if ((old & ~FUTEX_WAITERS) === 0) {
      putLock(k, t, lock, (t.tid | old | assume) >>> 0);
      k.hooks.robustUser(t, "acquired", lock);
      yield "user: robust_lock: cmpxchg(lock, 0, TID): acquired";
      break;
    }
    if (old & FUTEX_OWNER_DIED) {
      putLock(k, t, lock, (t.tid | (old & FUTEX_WAITERS) | assume) >>> 0);
      k.hooks.robustUser(t, "acquired", lock);
      yield "user: robust_lock: cmpxchg(lock, OWNER_DIED, TID): previous owner died";
      ret = -EOWNERDEAD;
      break;
    }
    if ((old & FUTEX_TID_MASK) === t.tid) {
      if (!putMeta(k, t, pop, 0, WordTag.RobustHead)) return segv(t);
      // ours already, however our TID got there (a plain store counts): user space holds it
      k.hooks.robustUser(t, "acquired", lock);
      return -EDEADLK;
    }
    if (!(old & FUTEX_WAITERS)) {
      putLock(k, t, lock, (old | FUTEX_WAITERS) >>> 0);
      yield "user: robust_lock: cmpxchg(lock, v, v | FUTEX_WAITERS)";
    }
    assume = FUTEX_WAITERS;
    // futex(lock, FUTEX_WAIT, v | FUTEX_WAITERS): shared, like the exit-time wake
    const key = get_futex_key(t, lock, true);
    if (typeof key !== "number") {
      t.ruser!.inKernel = true;
      yield* futex_wait(k, t, lock, (old | FUTEX_WAITERS) >>> 0, key);
      t.ruser!.inKernel = false;
    }
    if (syscall_exit_kills(t)) return null;
  }
  if (!list_add(k, t, t.userHead, node)) return segv(t);
  yield "user: robust_lock: list add (ENQUEUE_MUTEX)";
  if (!putMeta(k, t, pop, 0, WordTag.RobustHead)) return segv(t);
  yield "user: robust_lock: head->list_op_pending = NULL";
  return ret;
}

/**
 * robust_unlock: the v7.2 unlock, one preemption point after each user instruction:
 * 1 op_pending = &mutex->list; 2 list remove; 3 vDSO `lock cmpxchg(lock, TID, 0)` (ZF);
 * 4 ZF ? `mov 0, (pop)` : `jnz .Lend`; 5 futex(FUTEX_WAKE | FUTEX_ROBUST_UNLOCK, pop).
 * t.regs.ip is the next instruction's address, so `irq tN k` sees IP = UNLOCK_IP[k + 1].
 */
export function user_robust_unlock(k: Kernel, t: Task, a: Addr): KGen<number | null> {
  const lock = regionAddress(a.region) + a.off;
  return userOp(t, "unlock", lock, robust_unlock(k, t, lock));
}

/**
 * Both unlocks start by reading the word: our TID in it (a plain store counts) and user space
 * unlocks it as its own (0), another owner is -EPERM, an unmapped page a SIGSEGV (null).
 */
function unlock_owner_check(k: Kernel, t: Task, lock: number): number | null {
  const v = read(t, lock);
  if (v === null) return segv(t);
  if ((v & FUTEX_TID_MASK) !== t.tid) return -EPERM;
  k.hooks.robustUser(t, "acquired", lock);
  return 0;
}

function* robust_unlock(k: Kernel, t: Task, lock: number): KGen<number | null> {
  const op = t.ruser!;
  const owner = unlock_owner_check(k, t, lock);
  if (owner !== 0) return owner;
  const node = lock + NODE_OFFSET;
  const pop = (t.userHead + HEAD_LIST_OP_PENDING) >>> 0;
  const insn = (n: 1 | 2 | 3 | 4, next: number): void => {
    op.done = n;
    t.regs.ip = next;
  };
  t.regs.ip = UNLOCK_IP[1];
  k.hooks.robustUser(t, "releasing", lock);
  if (!putMeta(k, t, pop, node, WordTag.RobustHead)) return segv(t);
  insn(1, UNLOCK_IP[2]);
  yield "user: robust_unlock 1: head->list_op_pending = &mutex->list";
  if (!list_del(k, t, t.userHead, node)) return segv(t);
  insn(2, UNLOCK_IP[3]);
  yield "user: robust_unlock 2: list remove";
  // __vdso_futex_robust_list32_try_unlock(lock, tid, pop): pop in DX, result in ZF
  t.regs.dx = pop;
  const cur = read(t, lock);
  if (cur === null) return segv(t);
  t.regs.zf = cur === t.tid;
  if (t.regs.zf) {
    putLock(k, t, lock, 0);
    k.hooks.robustUser(t, "released", lock);
  }
  insn(3, UNLOCK_IP[4]);
  yield "vdso: robust_unlock 3: lock cmpxchg(lock, TID, 0)";
  if (t.regs.zf) {
    if (!putMeta(k, t, pop, 0, WordTag.RobustHead)) return segv(t);
    insn(4, UNLOCK_IP_DONE);
    yield "vdso: robust_unlock 4: mov 0, (pop)";
    return 0;
  }
  insn(4, UNLOCK_IP[5]);
  yield "vdso: robust_unlock 4: jnz .Lend (contended)";
  op.inKernel = true;
  const r = yield* futex_robust_unlock(k, t, lock, true, pop, 1);
  op.inKernel = false;
  op.done = 5;
  t.regs.ip = UNLOCK_IP_DONE;
  if (r >= 0) k.hooks.robustUser(t, "released", lock);
  if (syscall_exit_kills(t)) return null;
  return r < 0 ? r : 0;
}

/**
 * robust_pending: the selftest's half lock (test_set_list_op_pending): op_pending = &mutex->list,
 * cmpxchg(lock, 0, TID); the node is never linked and list_op_pending never cleared.
 */
export function user_robust_pending(k: Kernel, t: Task, a: Addr): KGen<number | null> {
  const lock = regionAddress(a.region) + a.off;
  return userOp(t, "pending", lock, robust_pending(k, t, lock));
}

function* robust_pending(k: Kernel, t: Task, lock: number): KGen<number | null> {
  if (!putMeta(k, t, t.userHead + HEAD_LIST_OP_PENDING, lock + NODE_OFFSET, WordTag.RobustHead)) return segv(t);
  k.hooks.robustUser(t, "acquiring", lock);
  yield "user: robust_pending: head->list_op_pending = &mutex->list";
  const old = read(t, lock);
  if (old === null) return segv(t);
  if (old !== 0) return -EBUSY;
  putLock(k, t, lock, t.tid);
  k.hooks.robustUser(t, "acquired", lock);
  return 0;
}


/**
 * robust_unlock_legacy: glibc's robust unlock without the vDSO and FUTEX_ROBUST_UNLOCK (every
 * glibc up to 2026; __pthread_mutex_unlock_full): 1 op_pending = &mutex->list; 2 list remove;
 * 3 atomic_exchange_rel(lock, 0); 4 FUTEX_WAKE(lock, 1, shared) if the old word had
 * FUTEX_WAITERS; 5 op_pending = NULL. The exchange clears FUTEX_WAITERS: the waiter it wakes must
 * set it again when it takes the lock. `irq tN k` interrupts after instruction k (the IP is never
 * in the vDSO range, so nothing clears op_pending for it: the user-space race 7010c39d closed
 * only for the new unlock; the mutex stays "releasing" for the robust-list sanitizer until 5).
 */
export function user_robust_unlock_legacy(k: Kernel, t: Task, a: Addr): KGen<number | null> {
  const lock = regionAddress(a.region) + a.off;
  return userOp(t, "unlock", lock, robust_unlock_legacy(k, t, lock));
}

function* robust_unlock_legacy(k: Kernel, t: Task, lock: number): KGen<number | null> {
  const op = t.ruser!;
  const owner = unlock_owner_check(k, t, lock);
  if (owner !== 0) return owner;
  const node = lock + NODE_OFFSET;
  const pop = (t.userHead + HEAD_LIST_OP_PENDING) >>> 0;
  k.hooks.robustUser(t, "releasing", lock);
  if (!putMeta(k, t, pop, node, WordTag.RobustHead)) return segv(t);
  op.done = 1;
  yield "user: robust_unlock_legacy 1: head->list_op_pending = &mutex->list";
  if (!list_del(k, t, t.userHead, node)) return segv(t);
  op.done = 2;
  yield "user: robust_unlock_legacy 2: list remove (DEQUEUE_MUTEX)";
  const old = read(t, lock);
  if (old === null) return segv(t);
  putLock(k, t, lock, 0);
  op.done = 3;
  yield "user: robust_unlock_legacy 3: atomic_exchange_rel(lock, 0)";
  if (old & FUTEX_WAITERS) {
    // futex(lock, FUTEX_WAKE, 1): shared, as glibc's robust mutexes always are
    const key = get_futex_key(t, lock, true);
    op.inKernel = true;
    if (typeof key !== "number") yield* futex_wake(k, t, key, 1);
    op.inKernel = false;
    if (syscall_exit_kills(t)) return null;
  }
  op.done = 4;
  if (!putMeta(k, t, pop, 0, WordTag.RobustHead)) return segv(t);
  op.done = 5;
  k.hooks.robustUser(t, "released", lock);
  yield "user: robust_unlock_legacy 5: head->list_op_pending = NULL";
  return 0;
}
