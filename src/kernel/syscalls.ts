// The syscall table: each task event of the program maps to kernel code here. Handlers only
// decode and check their arguments; the work is in the kernel functions they call.
import type { ArgsOf, SyscallName } from "../program/events.js";
import type { Addr, Value } from "../program/types.js";
import type { Kernel } from "./kernel.js";
import { Page, regionAddress } from "./memory.js";
import type { KGen, Point } from "./sched.js";
import { force_sigsegv } from "./signal.js";
import { tidOf, type Task } from "./task.js";
import { clone_thread, fork_process } from "./fork.js";
import { clone_vm } from "./clone_vm.js";
import { do_exit } from "./exit.js";
import { do_execve } from "./exec.js";
import { get_futex_key } from "./futex/core.js";
import { futex_wait, futex_wait_timed, futex_wake } from "./futex/waitwake.js";
import { TimerExpiry } from "./futex/timeout.js";
import { EINVAL, ENOSYS } from "./errno.js";
import { sys_get_robust_list, sys_set_robust_list } from "./futex/robust.js";
import { robust_mutex_precondition, user_robust_init, user_robust_lock, user_robust_pending, user_robust_unlock, user_robust_unlock_legacy } from "./robust_user.js";
import { futex_requeue } from "./futex/requeue.js";
import { futex_wake_op } from "./futex/wake_op.js";
import { futex_op_encode, WAKE_CMPS, WAKE_OPS } from "./futex/wake_op.js";
import { sys_futex_requeue, sys_futex_wait, sys_futex_wake } from "./futex/futex2.js";
import { sys_futex_waitv } from "./futex/waitv.js";
import { futex2Flags } from "./futex/numa.js";
import { futex_unlock_pi, sys_futex_lock_pi } from "./futex/pi.js";
import { futex_cmp_requeue_pi, sys_futex_wait_requeue_pi } from "./futex/requeue_pi.js";
import { HEAD_LIST_OP_PENDING } from "./futex/robust.js";
import { PR_FUTEX_HASH_GET_SLOTS, PR_FUTEX_HASH_SET_SLOTS, futex_hash_prctl } from "./futex/resize.js";

/** The implementation of syscall-form event N; it receives the event's typed arguments. */
export interface Syscall<N extends SyscallName> {
  /** why the event cannot run now (it is skipped, never an error), or null */
  precondition?(k: Kernel, t: Task, args: ArgsOf<N>): string | null;
  run(k: Kernel, t: Task, args: ArgsOf<N>): KGen<number | null>;
}

export function uaddr(a: Addr): number {
  return regionAddress(a.region) + a.off;
}

export function uval(v: Value): number {
  return ((v.tid === undefined ? 0 : tidOf(v.tid)) | v.bits) >>> 0;
}

/** Every address argument must name a region mapped in the task's mm. */
function unmapped(t: Task, a: Addr, b?: Addr): string | null {
  // two parameters, not a rest array: this runs before nearly every futex event
  const regions = t.mm?.as.regions;
  if (!regions?.has(a.region)) return `m${a.region} is not mapped`;
  if (b && !regions.has(b.region)) return `m${b.region} is not mapped`;
  return null;
}

/** a TID word the kernel stores into (put_user of a u32): the simulator's memory is words */
function misaligned(a: Addr): string | null {
  return a.off % 4 ? `m${a.region}+${a.off} is not 4-byte aligned` : null;
}

function newTaskName(k: Kernel, _t: Task, { child }: { child: number }): string | null {
  return k.tasks.has(child) ? `t${child} already exists` : null;
}

/**
 * A syscall with no preemption point: `f` runs at the first resume (one point, as a generator that
 * returns at once would take), then it is done. An iterator object, not a generator: a
 * generator per mmap, store or load was a measurable share of an execution's allocations.
 */
class Instant implements KGen<number | null> {
  private value: number | null = null;
  constructor(private f: (() => number | null) | null) {}
  next(): IteratorResult<Point, number | null> {
    const f = this.f;
    if (f) {
      this.f = null;
      this.value = f();
    }
    return { done: true, value: this.value };
  }
  return(value: number | null): IteratorResult<Point, number | null> {
    this.f = null;
    return { done: true, value };
  }
  throw(e: unknown): IteratorResult<Point, number | null> {
    this.f = null;
    throw e;
  }
  [Symbol.iterator](): this {
    return this;
  }
}

function instant(f: () => number | null): KGen<number | null> {
  return new Instant(f);
}

/** One implementation per syscall-form event kind of the registry (a missing one is a type error). */
export const SYSCALLS: { [N in SyscallName]: Syscall<N> } = {
  mmap: {
    run: (k, t, { region, map }) =>
      instant(() => {
        t.mm!.as.regions.set(region, map.anon ? { file: null, page: new Page(null) } : { file: map.file, page: k.files.page(map.file) });
        k.hooks.remap(t.mm!, region);
        return regionAddress(region);
      }),
  },
  munmap: {
    precondition: (_k, t, { region }) => (t.mm?.as.regions.has(region) ? null : `m${region} is not mapped`),
    run: (k, t, { region }) =>
      instant(() => {
        t.mm!.as.regions.delete(region);
        k.hooks.remap(t.mm!, region);
        return 0;
      }),
  },
  store: {
    precondition: (_k, t, { addr }) => unmapped(t, addr),
    run: (k, t, { addr, value }) =>
      instant(() => {
        // the page may have been unmapped since the event started (@k): a user fault
        const a = uaddr(addr) & ~3;
        const v = uval(value);
        if (!t.mm!.as.write(a, v)) return force_sigsegv(t);
        k.hooks.userStore(t.mm!.as, a, v);
        return 0;
      }),
  },
  load: {
    precondition: (_k, t, { addr }) => unmapped(t, addr),
    run: (_k, t, { addr }) => instant(() => t.mm!.as.read(uaddr(addr) & ~3) ?? force_sigsegv(t)),
  },
  spawn: { precondition: newTaskName, run: (k, t, { child }) => clone_thread(k, t, child) },
  fork: { precondition: newTaskName, run: (k, t, { child }) => fork_process(k, t, child) },
  futex_wait: {
    precondition: (_k, t, { addr }) => unmapped(t, addr),
    *run(k, t, { addr, value, shared }) {
      const key = get_futex_key(t, uaddr(addr), shared);
      if (typeof key === "number") return key;
      return yield* futex_wait(k, t, uaddr(addr), uval(value), key);
    },
  },
  futex_wake: {
    precondition: (_k, t, { addr }) => unmapped(t, addr),
    *run(k, t, { addr, nr_wake, shared }) {
      const key = get_futex_key(t, uaddr(addr), shared);
      if (typeof key === "number") return key;
      return yield* futex_wake(k, t, key, nr_wake);
    },
  },
  futex_requeue: {
    precondition: (_k, t, { addr, addr2 }) => unmapped(t, addr, addr2),
    *run(k, t, { addr, addr2, nr_wake, nr_requeue, shared }) {
      return yield* futex_requeue(k, t, uaddr(addr), uaddr(addr2), shared, nr_wake, nr_requeue, null);
    },
  },
  futex_cmp_requeue: {
    precondition: (_k, t, { addr, addr2 }) => unmapped(t, addr, addr2),
    *run(k, t, { addr, addr2, nr_wake, nr_requeue, value, shared }) {
      return yield* futex_requeue(k, t, uaddr(addr), uaddr(addr2), shared, nr_wake, nr_requeue, uval(value));
    },
  },
  hash_set_slots: { run: (k, t, { slots }) => futex_hash_prctl(k, t, PR_FUTEX_HASH_SET_SLOTS, slots, 0) },
  hash_get_slots: { run: (k, t) => futex_hash_prctl(k, t, PR_FUTEX_HASH_GET_SLOTS, 0, 0) },
  robust_init: { precondition: (_k, t, { head }) => robust_mutex_precondition(t, head, "head"), run: (k, t, { head }) => user_robust_init(k, t, head) },
  robust_lock: { precondition: (_k, t, { addr }) => robust_mutex_precondition(t, addr, "mutex"), run: (k, t, { addr }) => user_robust_lock(k, t, addr) },
  robust_unlock: { precondition: (_k, t, { addr }) => robust_mutex_precondition(t, addr, "mutex"), run: (k, t, { addr }) => user_robust_unlock(k, t, addr) },
  robust_pending: { precondition: (_k, t, { addr }) => robust_mutex_precondition(t, addr, "mutex"), run: (k, t, { addr }) => user_robust_pending(k, t, addr) },
  get_robust_list: { run: (k, t, { pid }) => instant(() => sys_get_robust_list(k, t, pid)) },
  set_robust_list: { run: (_k, t, { head, len }) => instant(() => sys_set_robust_list(t, uaddr(head), len)) },
  futex_lock_pi: { precondition: (_k, t, { addr }) => unmapped(t, addr), run: (k, t, { addr, shared }) => sys_futex_lock_pi(k, t, uaddr(addr), shared, false) },
  futex_trylock_pi: { precondition: (_k, t, { addr }) => unmapped(t, addr), run: (k, t, { addr, shared }) => sys_futex_lock_pi(k, t, uaddr(addr), shared, true) },
  futex_unlock_pi: {
    precondition: (_k, t, { addr }) => unmapped(t, addr),
    // FUTEX_ROBUST_UNLOCK's pop: &head->list_op_pending of the registered robust list (0 without one)
    run: (k, t, { addr, shared, robust }) => futex_unlock_pi(k, t, uaddr(addr), shared, robust ? (t.robust ? (t.robust.head + HEAD_LIST_OP_PENDING) >>> 0 : 0) : null),
  },
  futex_wait_requeue_pi: {
    precondition: (_k, t, { addr, addr2 }) => unmapped(t, addr, addr2),
    run: (k, t, { addr, value, addr2, shared }) => sys_futex_wait_requeue_pi(k, t, uaddr(addr), uval(value), uaddr(addr2), shared),
  },
  futex_cmp_requeue_pi: {
    precondition: (_k, t, { addr, addr2 }) => unmapped(t, addr, addr2),
    run: (k, t, { addr, addr2, nr_wake, nr_requeue, value, shared }) => futex_cmp_requeue_pi(k, t, uaddr(addr), uaddr(addr2), shared, nr_wake, nr_requeue, uval(value)),
  },
  exec: { run: (k, t, { fail }) => do_execve(k, t, fail) },
  futex_wait_timeout: {
    precondition: (_k, t, { addr }) => unmapped(t, addr),
    *run(k, t, { addr, value, clock, shared }) {
      // sys_futex: futex_init_timeout() checks the timespec first (-EINVAL), then do_futex()
      // refuses FUTEX_CLOCK_REALTIME on anything but the *_BITSET / PI2 / REQUEUE_PI waits
      if (clock === "bad_nsec") return EINVAL;
      if (clock === "rel_realtime") return ENOSYS;
      const key = get_futex_key(t, uaddr(addr), shared);
      if (typeof key === "number") return key;
      return yield* futex_wait_timed(k, t, uaddr(addr), uval(value), shared, key, new TimerExpiry(clock));
    },
  },
  spawn_cleartid: {
    precondition: (k, t, { child, ctid }) => newTaskName(k, t, { child }) ?? unmapped(t, ctid) ?? misaligned(ctid),
    run: (k, t, { child, ctid }) => clone_thread(k, t, child, uaddr(ctid)),
  },
  clone_vm: { precondition: newTaskName, run: (k, t, { child }) => clone_vm(k, t, child, false) },
  vfork: { precondition: newTaskName, run: (k, t, { child }) => clone_vm(k, t, child, true) },
  set_tid_address: {
    precondition: (_k, _t, { tidptr }) => misaligned(tidptr),
    run: (_k, t, { tidptr }) =>
      instant(() => {
        t.clear_child_tid = uaddr(tidptr);
        return t.tid;
      }),
  },
  sigaction: {
    run: (_k, t, { restart }) =>
      instant(() => {
        t.group.saRestart = restart;
        return 0;
      }),
  },
  exit: { run: (k, t) => do_exit(k, t) },
  // FUTEX_WAKE_OP and futex2
  futex_wake_op: {
    precondition: (_k, t, { addr, addr2 }) => unmapped(t, addr, addr2),
    run: (k, t, a) =>
      futex_wake_op(k, t, uaddr(a.addr), uaddr(a.addr2), a.shared, a.nr_wake, a.nr_wake2, futex_op_encode(WAKE_OPS.indexOf(a.op), a.shl, a.oparg, WAKE_CMPS.indexOf(a.cmp), a.cmparg)),
  },
  futex2_wait: {
    precondition: (_k, t, { addr }) => unmapped(t, addr),
    run: (k, t, a) => sys_futex_wait(k, t, uaddr(a.addr), uval(a.value), futex2Flags(a.size, a.private, a.numa)),
  },
  futex2_wake: {
    precondition: (_k, t, { addr }) => unmapped(t, addr),
    run: (k, t, a) => sys_futex_wake(k, t, uaddr(a.addr), a.nr_wake, futex2Flags(a.size, a.private, a.numa)),
  },
  waitv_entry: {
    precondition: (_k, t, { addr }) => unmapped(t, addr),
    run: (_k, t, a) =>
      instant(() => {
        t.waitv.push({ val: uval(a.value), uaddr: uaddr(a.addr), flags: futex2Flags(a.size, a.private, a.numa) });
        return 0;
      }),
  },
  futex_waitv: { run: (k, t) => sys_futex_waitv(k, t, t.waitv.splice(0)) },
  futex2_requeue: { run: (k, t, { nr_wake, nr_requeue }) => sys_futex_requeue(k, t, t.waitv.splice(0), nr_wake, nr_requeue) },
  // glibc's robust unlock without FUTEX_ROBUST_UNLOCK
  robust_unlock_legacy: {
    precondition: (_k, t, { addr }) => robust_mutex_precondition(t, addr, "mutex"),
    run: (k, t, { addr }) => user_robust_unlock_legacy(k, t, addr),
  },
};
