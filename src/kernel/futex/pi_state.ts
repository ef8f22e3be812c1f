// kernel/futex/pi.c, the pi_state half: struct futex_pi_state, its cache and reference count
// (refill_pi_state_cache, get_pi_state, put_pi_state), attaching a locker to an existing
// pi_state or to the owner named by the user word (attach_to_pi_state, attach_to_pi_owner,
// handle_exit_race), the atomic part of a PI lock (futex_lock_pi_atomic), and the exit side
// (exit_pi_state_list under guard(private_hash), wait_for_owner_exiting in core.c).
//
// The user word of a PI futex: the owner's TID, FUTEX_WAITERS while the kernel holds state for
// it, FUTEX_OWNER_DIED after the owner died. {word, pi_state} change together under the bucket
// lock and the pi_mutex wait_lock.
import { KObj } from "../alloc.js";
import type { Kernel } from "../kernel.js";
import { RtMutex, __rt_mutex_futex_unlock, rt_mutex_init_proxy_locked, rt_mutex_proxy_unlock } from "../rtmutex.js";
import { mutex_lock, mutex_unlock, spin_lock, spin_unlock, type KGen } from "../sched.js";
import type { Task } from "../task.js";
import { EAGAIN, EBUSY, EDEADLK, EFAULT, EINVAL, ENOMEM, EPERM, ESRCH } from "../errno.js";
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS } from "../../program/types.js";
import { futex_hb_lock, futex_hb_unlock, match_futex, type FutexHashBucket, type FutexKey, type FutexQ } from "./hb.js";
import { futex_private_hash } from "./core.js";
import { __futex_hash } from "./private.js";

/** sizeof(struct futex_pi_state) on x86_64 (for the report) */
const PI_STATE_SIZE = 96;

/** struct futex_pi_state */
export class FutexPiState extends KObj {
  readonly pi_mutex = new RtMutex();
  owner: Task | null = null;
  refcount = 1;
  key: FutexKey | null = null;
  constructor() {
    super("struct futex_pi_state", PI_STATE_SIZE);
  }
}

/** Where futex_lock_pi_atomic() stores a pi_state or an exiting owner (the C out-pointers). */
export interface PiOut {
  pi_state: FutexPiState | null;
  exiting: Task | null;
}

/** futex_get_value_locked() */
export function futex_get_value_locked(t: Task, uaddr: number): number | null {
  return t.mm ? t.mm.as.read(uaddr) : null;
}

/** A kernel store of a PI futex word (futex_cmpxchg_value_locked after its compare). */
export function futex_put_value_locked(k: Kernel, t: Task, uaddr: number, v: number, key: FutexKey): boolean {
  if (!t.mm || !t.mm.as.write(uaddr, v >>> 0)) return false;
  k.hooks.piWordWrite(t.mm.as, uaddr, v >>> 0, key);
  return true;
}

/** refill_pi_state_cache(): allocate current->pi_state_cache before taking any lock. */
export function refill_pi_state_cache(k: Kernel, t: Task): number {
  if (t.piStateCache) return 0;
  const ps = k.heap.alloc(new FutexPiState(), t);
  if (!ps) return ENOMEM;
  t.piStateCache = ps;
  return 0;
}

function alloc_pi_state(k: Kernel, t: Task): FutexPiState {
  const ps = t.piStateCache;
  k.warnOn(!ps, "alloc_pi_state: WARN_ON(!pi_state)", t);
  t.piStateCache = null;
  return ps!;
}

/** pi_state_update_owner(): move the pi_state from its old owner's list to the new owner's. */
export function pi_state_update_owner(k: Kernel, ctx: Task, ps: FutexPiState, newOwner: Task | null): void {
  const old = ps.owner;
  if (old) {
    const i = old.piStateList.indexOf(ps);
    k.warnOn(i < 0, "pi_state_update_owner: WARN_ON(list_empty(&pi_state->list))", ctx);
    if (i >= 0) old.piStateList.splice(i, 1);
  }
  if (newOwner) {
    k.warnOn(newOwner.piStateList.includes(ps), "pi_state_update_owner: WARN_ON(!list_empty(&pi_state->list))", ctx);
    newOwner.piStateList.push(ps);
  }
  // the kernel keeps the old owner in pi_state->owner when clearing (put_pi_state frees it next)
  if (newOwner) ps.owner = newOwner;
}

/** get_pi_state(): WARN_ON_ONCE(!refcount_inc_not_zero()). */
export function get_pi_state(k: Kernel, t: Task, ps: FutexPiState): void {
  k.hooks.access(ps, "refcount_inc_not_zero(&pi_state->refcount)", t);
  if (ps.refcount === 0) return k.warnOn(true, "get_pi_state: refcount_inc_not_zero() failed", t);
  ps.refcount++;
}

/**
 * put_pi_state(): drop a reference; the last one unlinks the pi_state from its owner, releases
 * the rt_mutex on the owner's behalf, and frees it (or parks it in current->pi_state_cache).
 */
export function put_pi_state(k: Kernel, t: Task, ps: FutexPiState | null): void {
  if (!ps) return;
  k.hooks.access(ps, "refcount_dec_and_test(&pi_state->refcount)", t);
  ps.refcount--;
  k.hooks.piStatePut(ps, t);
  if (ps.refcount !== 0) return;
  if (ps.owner) {
    pi_state_update_owner(k, t, ps, null);
    ps.owner = null;
    rt_mutex_proxy_unlock(ps.pi_mutex);
  }
  if (t.piStateCache) k.heap.free(ps, t);
  else {
    ps.owner = null;
    ps.refcount = 1;
    ps.key = null;
    t.piStateCache = ps;
  }
}

/** futex_top_waiter(): the first futex_q of the key on the bucket (hb->lock held). */
export function futex_top_waiter(hb: FutexHashBucket, key: FutexKey): FutexQ | null {
  for (const q of hb.chain) if (match_futex(q.key, key)) return q;
  return null;
}

/**
 * attach_to_pi_state(): a waiter exists; check its pi_state against the user word (the table
 * of valid states in pi.c) and take a reference. 0, -EINVAL (inconsistent), -EAGAIN (the word
 * changed since it was read), -EFAULT.
 */
function* attach_to_pi_state(k: Kernel, t: Task, uaddr: number, uval: number, ps: FutexPiState | null, out: PiOut): KGen<number> {
  const pid = uval & FUTEX_TID_MASK;
  if (!ps) return EINVAL; // [3] a non-PI waiter on a PI futex
  k.warnOn(ps.refcount === 0, "attach_to_pi_state: WARN_ON(!refcount_read(&pi_state->refcount))", t);
  k.hooks.access(ps, "raw_spin_lock_irq(&pi_state->pi_mutex.wait_lock)", t);
  yield* spin_lock(t, ps.pi_mutex.wait_lock);
  try {
    yield "attach_to_pi_state: futex_get_value_locked(&uval2)";
    const uval2 = futex_get_value_locked(t, uaddr);
    if (uval2 === null) return EFAULT;
    if (uval2 !== uval) return EAGAIN;
    if (uval & FUTEX_OWNER_DIED) {
      if (!ps.owner) {
        if (pid) return EINVAL; // [5]
      } else if (pid && pid !== ps.owner.tid) return EINVAL; // [10]
    } else if (!ps.owner || pid !== ps.owner.tid) return EINVAL; // [7] / [9] / [10]
    get_pi_state(k, t, ps);
    out.pi_state = ps;
    return 0;
  } finally {
    spin_unlock(t, ps.pi_mutex.wait_lock);
  }
}

/** find_get_task_by_vpid(): a thread until it is released; a group leader until it is reaped. */
export function find_task_by_vpid(k: Kernel, pid: number): Task | null {
  for (const o of k.taskList) if (o.tid === pid && (o.state !== "exited" || o.tid === o.group.tgid)) return o;
  return null;
}

/** handle_exit_race(): the owner named by the word is exiting (-EBUSY) or gone (-ESRCH / -EAGAIN). */
function* handle_exit_race(t: Task, uaddr: number, uval: number, tsk: Task | null): KGen<number> {
  if (tsk && tsk.futexState !== "dead") return EBUSY;
  yield "handle_exit_race: futex_get_value_locked(&uval2)";
  const uval2 = futex_get_value_locked(t, uaddr);
  if (uval2 === null) return EFAULT;
  if (uval2 !== uval) return EAGAIN;
  return ESRCH;
}

/** __attach_to_pi_owner(): a new pi_state, its rt_mutex owned by p on p's behalf. */
function __attach_to_pi_owner(k: Kernel, t: Task, p: Task, key: FutexKey, out: PiOut): void {
  const ps = alloc_pi_state(k, t);
  rt_mutex_init_proxy_locked(ps.pi_mutex, p);
  ps.key = key;
  k.warnOn(p.piStateList.includes(ps), "__attach_to_pi_owner: WARN_ON(!list_empty(&pi_state->list))", t);
  p.piStateList.push(ps);
  ps.owner = p;
  out.pi_state = ps;
}

/** attach_to_pi_owner(): look up the owner the word names and attach a new pi_state to it. */
function* attach_to_pi_owner(k: Kernel, t: Task, uaddr: number, uval: number, key: FutexKey, out: PiOut): KGen<number> {
  const pid = uval & FUTEX_TID_MASK;
  if (!pid) return EAGAIN;
  yield "attach_to_pi_owner: find_get_task_by_vpid(pid)";
  const p = find_task_by_vpid(k, pid);
  if (!p) return yield* handle_exit_race(t, uaddr, uval, null);
  // raw_spin_lock_irq(&p->pi_lock): futex_state cannot change under it
  if (p.futexState !== "ok") {
    const ret = yield* handle_exit_race(t, uaddr, uval, p);
    // -EBUSY: keep the task reference; the caller waits for the exit to finish
    if (ret === EBUSY) out.exiting = p;
    return ret;
  }
  // a private key points at the waiter's mm without a reference: an owner in another address
  // space must not get it (its exit cleanup would reach the private hash after that mm is gone)
  if (key.type === "private" && p.mm !== key.mm) return EPERM;
  __attach_to_pi_owner(k, t, p, key, out);
  return 0;
}

/** lock_pi_update_atomic(): cmpxchg the word from uval to newval; -EAGAIN if it changed. */
function* lock_pi_update_atomic(k: Kernel, t: Task, uaddr: number, uval: number, newval: number, key: FutexKey): KGen<number> {
  yield "lock_pi_update_atomic: futex_cmpxchg_value_locked";
  const cur = futex_get_value_locked(t, uaddr);
  if (cur === null) return EFAULT;
  if (cur !== uval) return EAGAIN;
  return futex_put_value_locked(k, t, uaddr, newval, key) ? 0 : EFAULT;
}

/**
 * futex_lock_pi_atomic() (hb->lock held): 1 acquired, 0 ready to wait (pi_state in out), or
 * -EDEADLK, -EFAULT, -EAGAIN, -EBUSY (out.exiting set), -ESRCH, -EINVAL. `task` is current, or the
 * requeued waiter for requeue-PI (set_waiters: force FUTEX_WAITERS and attach to the new owner).
 */
export function* futex_lock_pi_atomic(
  k: Kernel,
  t: Task,
  uaddr: number,
  hb: FutexHashBucket,
  key: FutexKey,
  out: PiOut,
  task: Task,
  set_waiters: boolean,
): KGen<number> {
  t.frames.push("futex_lock_pi_atomic");
  try {
    yield "futex_lock_pi_atomic: futex_get_value_locked(&uval)";
    const uval = futex_get_value_locked(t, uaddr);
    if (uval === null) return EFAULT;
    if ((uval & FUTEX_TID_MASK) === task.tid) return EDEADLK;
    const top = futex_top_waiter(hb, key);
    if (top) return yield* attach_to_pi_state(k, t, uaddr, uval, top.pi_state, out);
    if (!(uval & FUTEX_TID_MASK)) {
      // no waiter, no owner: take it, keeping OWNER_DIED
      let newval = (uval & FUTEX_OWNER_DIED) | task.tid;
      if (set_waiters) newval |= FUTEX_WAITERS;
      const ret = yield* lock_pi_update_atomic(k, t, uaddr, uval, newval >>> 0, key);
      if (ret) return ret;
      if (set_waiters) __attach_to_pi_owner(k, t, task, key, out);
      return 1;
    }
    // first waiter: set FUTEX_WAITERS, then attach to the owner
    const newval = (uval | FUTEX_WAITERS) >>> 0;
    const ret = yield* lock_pi_update_atomic(k, t, uaddr, uval, newval, key);
    if (ret) return ret;
    return yield* attach_to_pi_owner(k, t, uaddr, newval, key, out);
  } finally {
    t.frames.pop();
  }
}

/**
 * wait_for_owner_exiting() (core.c): after -EBUSY, block on the owner's futex_exit_mutex until
 * its futex cleanup is done, then drop the task reference. Any other ret must come with no
 * exiting task (WARN_ON_ONCE).
 */
export function* wait_for_owner_exiting(k: Kernel, t: Task, ret: number, exiting: Task | null): KGen {
  t.frames.push("wait_for_owner_exiting");
  try {
    if (ret !== EBUSY) return k.warnOn(exiting !== null, "WARN_ON_ONCE(exiting)", t);
    if (!exiting) return k.warnOn(true, "WARN_ON_ONCE(ret == -EBUSY && !exiting)", t);
    yield* mutex_lock(k, t, exiting.futexExitMutex);
    mutex_unlock(t, exiting.futexExitMutex);
  } finally {
    t.frames.pop();
  }
}

/**
 * exit_pi_state_list() (core.c): the dying task owns PI futexes. Under guard(private_hash) (the
 * hash cannot be replaced while the keys are hashed), for each pi_state: lock its bucket, take
 * it off the task's list, clear the owner and release the rt_mutex so the top waiter can take it
 * (and mark the word OWNER_DIED in its fixup).
 */
export function* exit_pi_state_list(k: Kernel, t: Task): KGen {
  t.frames.push("exit_pi_state_list");
  try {
    const fph = t.mm ? yield* futex_private_hash(k, t, t.mm) : null;
    while (t.piStateList.length) {
      const ps = t.piStateList[0]!;
      const key = ps.key!;
      const hb = __futex_hash(k, t, key, key.type === "private" && key.mm === fph?.mm ? fph : null).hb;
      k.hooks.access(ps, "refcount_inc_not_zero(&pi_state->refcount)", t);
      if (ps.refcount === 0) {
        // a put_pi_state() is freeing it and will take it off our list
        yield "exit_pi_state_list: cpu_relax";
        continue;
      }
      ps.refcount++;
      yield* futex_hb_lock(k, t, hb);
      if (t.piStateList[0] !== ps) {
        futex_hb_unlock(k, t, hb);
        put_pi_state(k, t, ps);
        continue;
      }
      yield* spin_lock(t, ps.pi_mutex.wait_lock);
      k.warnOn(ps.owner !== t, "exit_pi_state_list: WARN_ON(pi_state->owner != curr)", t);
      t.piStateList.shift();
      ps.owner = null;
      __rt_mutex_futex_unlock(ps.pi_mutex);
      spin_unlock(t, ps.pi_mutex.wait_lock);
      futex_hb_unlock(k, t, hb);
      yield "exit_pi_state_list: rt_mutex_futex_unlock: wake the top waiter";
      put_pi_state(k, t, ps);
    }
    yield* k.seams.futexPrivateHashPut(k, t, fph);
  } finally {
    t.frames.pop();
  }
}

/** The task's pi_state_cache goes with the task. */
export function free_pi_state_cache(k: Kernel, t: Task): void {
  if (t.piStateCache) k.heap.free(t.piStateCache, t);
  t.piStateCache = null;
}
