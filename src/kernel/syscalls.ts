// The syscall table: each task event of the program maps to kernel code here. Handlers only
// decode and check their arguments; the work is in the kernel functions they call.
import type { Addr, Event, Mapping, Value } from "../program/types.js";
import type { Kernel } from "./kernel.js";
import { Page, regionAddress } from "./memory.js";
import type { KGen } from "./sched.js";
import { tidOf, type Task } from "./task.js";
import { clone_thread, fork_process } from "./fork.js";
import { do_exit } from "./exit.js";
import { do_execve } from "./exec.js";
import { ENOSYS, get_futex_key } from "./futex/core.js";
import { futex_wait, futex_wake } from "./futex/waitwake.js";

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

/** Events whose kernel side is not modelled yet: they run as -ENOSYS and say so in the trace. */
function* notModelled(_k: Kernel, _t: Task, ev: Event): KGen<number | null> {
  yield `${ev.op}: not modelled yet`;
  return ENOSYS;
}

export const SYSCALLS: Record<string, Syscall> = {
  mmap: {
    run: (k, t, ev) =>
      instant(() => {
        const region = ev.args[0] as number;
        const m = ev.args[1] as Mapping;
        t.mm!.as.regions.set(region, m.anon ? { file: null, page: new Page(null) } : { file: m.file, page: k.files.page(m.file) });
        return regionAddress(region);
      }),
  },
  munmap: {
    precondition: (_k, t, ev) => (t.mm?.as.regions.has(ev.args[0] as number) ? null : `m${ev.args[0]} is not mapped`),
    run: (_k, t, ev) =>
      instant(() => {
        t.mm!.as.regions.delete(ev.args[0] as number);
        return 0;
      }),
  },
  store: {
    precondition: mappedArgs,
    run: (_k, t, ev) =>
      instant(() => {
        t.mm!.as.write(uaddr(ev.args[0] as Addr) & ~3, uval(ev.args[1] as Value));
        return 0;
      }),
  },
  load: {
    precondition: mappedArgs,
    run: (_k, t, ev) => instant(() => t.mm!.as.read(uaddr(ev.args[0] as Addr) & ~3)),
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
  futex_requeue: { precondition: mappedArgs, run: notModelled },
  futex_cmp_requeue: { precondition: mappedArgs, run: notModelled },
  hash_set_slots: { run: notModelled },
  hash_get_slots: { run: notModelled },
  robust_init: { precondition: mappedArgs, run: notModelled },
  robust_lock: { precondition: mappedArgs, run: notModelled },
  robust_unlock: { precondition: mappedArgs, run: notModelled },
  exec: { run: (k, t, ev) => do_execve(k, t, ev.args[0] as boolean) },
  exit: { run: (k, t) => do_exit(k, t) },
};
