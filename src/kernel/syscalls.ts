// The syscall table: each task event of the program maps to kernel code here. Handlers only
// decode and check their arguments; the work is in the kernel functions they call.
import type { Addr, Event, Mapping, Value } from "../program/types.js";
import type { Kernel } from "./kernel.js";
import { Page, regionAddress } from "./memory.js";
import type { KGen } from "./sched.js";
import { force_sigsegv } from "./signal.js";
import { tidOf, type Task } from "./task.js";
import { clone_thread, fork_process } from "./fork.js";
import { do_exit } from "./exit.js";
import { do_execve } from "./exec.js";
import { get_futex_key } from "./futex/core.js";
import { futex_wait, futex_wake } from "./futex/waitwake.js";
import { sys_get_robust_list, sys_set_robust_list } from "./futex/robust.js";
import { robust_mutex_precondition, user_robust_init, user_robust_lock, user_robust_pending, user_robust_unlock } from "./robust_user.js";
import { futex_requeue } from "./futex/requeue.js";
import { PR_FUTEX_HASH_GET_SLOTS, PR_FUTEX_HASH_SET_SLOTS, futex_hash_prctl } from "./futex/resize.js";

export interface Syscall {
  /** why the event cannot run now (it is skipped, never an error), or null */
  precondition?(k: Kernel, t: Task, ev: Event): string | null;
  run(k: Kernel, t: Task, ev: Event): KGen<number | null>;
}

export function uaddr(a: Addr): number {
  return regionAddress(a.region) + a.off;
}

export function uval(v: Value): number {
  return ((v.tid === undefined ? 0 : tidOf(v.tid)) | v.bits) >>> 0;
}

/** Every address argument must name a region mapped in the task's mm. */
function mappedArgs(_k: Kernel, t: Task, ev: Event): string | null {
  for (const a of ev.args) {
    if (typeof a === "object" && "region" in a && !t.mm?.as.regions.has(a.region)) return `m${a.region} is not mapped`;
  }
  return null;
}

function newTaskName(k: Kernel, _t: Task, ev: Event): string | null {
  const id = ev.args[0] as number;
  return k.tasks.has(id) ? `t${id} already exists` : null;
}

// eslint-disable-next-line require-yield
function* instant(f: () => number | null): KGen<number | null> {
  return f();
}

export const SYSCALLS: Record<string, Syscall> = {
  mmap: {
    run: (k, t, ev) =>
      instant(() => {
        const region = ev.args[0] as number;
        const m = ev.args[1] as Mapping;
        t.mm!.as.regions.set(region, m.anon ? { file: null, page: new Page(null) } : { file: m.file, page: k.files.page(m.file) });
        k.hooks.remap(t.mm!, region);
        return regionAddress(region);
      }),
  },
  munmap: {
    precondition: (_k, t, ev) => (t.mm?.as.regions.has(ev.args[0] as number) ? null : `m${ev.args[0]} is not mapped`),
    run: (k, t, ev) =>
      instant(() => {
        t.mm!.as.regions.delete(ev.args[0] as number);
        k.hooks.remap(t.mm!, ev.args[0] as number);
        return 0;
      }),
  },
  store: {
    precondition: mappedArgs,
    run: (k, t, ev) =>
      instant(() => {
        // the page may have been unmapped since the event started (@k): a user fault
        const a = uaddr(ev.args[0] as Addr) & ~3;
        const v = uval(ev.args[1] as Value);
        if (!t.mm!.as.write(a, v)) return force_sigsegv(t);
        k.hooks.userStore(t.mm!.as, a, v);
        return 0;
      }),
  },
  load: {
    precondition: mappedArgs,
    run: (_k, t, ev) => instant(() => t.mm!.as.read(uaddr(ev.args[0] as Addr) & ~3) ?? force_sigsegv(t)),
  },
  spawn: { precondition: newTaskName, run: (k, t, ev) => clone_thread(k, t, ev.args[0] as number) },
  fork: { precondition: newTaskName, run: (k, t, ev) => fork_process(k, t, ev.args[0] as number) },
  futex_wait: {
    precondition: mappedArgs,
    *run(k, t, ev) {
      const [a, v, shared] = ev.args as [Addr, Value, boolean];
      const key = get_futex_key(t, uaddr(a), shared);
      if (typeof key === "number") return key;
      return yield* futex_wait(k, t, uaddr(a), uval(v), key);
    },
  },
  futex_wake: {
    precondition: mappedArgs,
    *run(k, t, ev) {
      const [a, nr, shared] = ev.args as [Addr, number, boolean];
      const key = get_futex_key(t, uaddr(a), shared);
      if (typeof key === "number") return key;
      return yield* futex_wake(k, t, key, nr);
    },
  },
  futex_requeue: {
    precondition: mappedArgs,
    *run(k, t, ev) {
      const [a1, a2, nr_wake, nr_requeue, shared] = ev.args as [Addr, Addr, number, number, boolean];
      return yield* futex_requeue(k, t, uaddr(a1), uaddr(a2), shared, nr_wake, nr_requeue, null);
    },
  },
  futex_cmp_requeue: {
    precondition: mappedArgs,
    *run(k, t, ev) {
      const [a1, a2, nr_wake, nr_requeue, v, shared] = ev.args as [Addr, Addr, number, number, Value, boolean];
      return yield* futex_requeue(k, t, uaddr(a1), uaddr(a2), shared, nr_wake, nr_requeue, uval(v));
    },
  },
  hash_set_slots: { run: (k, t, ev) => futex_hash_prctl(k, t, PR_FUTEX_HASH_SET_SLOTS, ev.args[0] as number, 0) },
  hash_get_slots: { run: (k, t) => futex_hash_prctl(k, t, PR_FUTEX_HASH_GET_SLOTS, 0, 0) },
  robust_init: { precondition: (_k, t, ev) => robust_mutex_precondition(t, ev), run: (k, t, ev) => user_robust_init(k, t, ev.args[0] as Addr) },
  robust_lock: { precondition: (_k, t, ev) => robust_mutex_precondition(t, ev), run: (k, t, ev) => user_robust_lock(k, t, ev.args[0] as Addr) },
  robust_unlock: { precondition: (_k, t, ev) => robust_mutex_precondition(t, ev), run: (k, t, ev) => user_robust_unlock(k, t, ev.args[0] as Addr) },
  robust_pending: { precondition: (_k, t, ev) => robust_mutex_precondition(t, ev), run: (k, t, ev) => user_robust_pending(k, t, ev.args[0] as Addr) },
  get_robust_list: { run: (k, t, ev) => instant(() => sys_get_robust_list(k, t, ev.args[0] as number)) },
  set_robust_list: { run: (_k, t, ev) => instant(() => sys_set_robust_list(t, uaddr(ev.args[0] as Addr), ev.args[1] as number)) },
  exec: { run: (k, t, ev) => do_execve(k, t, ev.args[0] as boolean) },
  exit: { run: (k, t) => do_exit(k, t) },
};
