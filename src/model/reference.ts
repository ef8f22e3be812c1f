// The reference model: a small, sequential statement of what a futex-fuzz program must return.
//
// It knows nothing of hashes, buckets, references, RCU or preemption points. State: processes
// (an address space + the private-hash size), tasks, and ONE FIFO list of sleeping waiters, each
// with its futex key (waitqueue.ts). Every syscall runs to completion at once or leaves its task
// blocked; the only scheduling it mirrors is the executor's contract for WHEN a blocked or woken
// task gets to return to user space (scheduler.ts). This file is the event loop and the syscall
// table; tasks' ends are in lifecycle.ts, PI futexes in pi.ts, robust lists in robust.ts.
// Programs with `@k`, `step`, `irq` or `fail_alloc` are interleavings, not sequential programs:
// the model reports them as unsupported.
import { argValues, isAddr, isSyscall, type EventOf, type SyscallName } from "../program/events.js";
import { printEventBody } from "../program/text.js";
import type { Event, Program } from "../program/types.js";
import { futexKey } from "./keys.js";
import { Files, Page, regionAddress, Space } from "./memory.js";
import { Unsupported } from "./errors.js";
import { MAX_SLOTS, Proc, Group, MTask, tidOf, uval, type ModelSyscall, type ModelVerdict, type ModelOptions, type Waiter } from "./state.js";

import { RobustModel, NODE_OFFSET } from "./robust.js";
import { Futex2Model } from "./futex2.js";
import { TimeoutModel } from "./timeout.js";
import { MmReleaseModel } from "./mm_release.js";
import { WaitQueue } from "./waitqueue.js";
import { Scheduler } from "./scheduler.js";
import { Lifecycle } from "./lifecycle.js";
import { PiModel } from "./pi.js";

export { Unsupported };
export * from "./state.js";

/** A kind the switches above do not handle: a compile error when the registry grows. */
function unmodelled(ev: never): never {
  throw new Unsupported(`unmodelled event ${JSON.stringify(ev)}`);
}

/** Run the reference model over a program. */
export function reference(p: Program, opts: ModelOptions = {}): ModelVerdict {
  const m = new Model(p.cpus, opts, p.nodes ?? 1);
  try {
    for (const ev of p.events) m.event(ev);
    m.drain();
  } catch (e) {
    if (e instanceof Unsupported) return { syscalls: m.out, unsupported: e.message };
    throw e;
  }
  return { syscalls: m.out };
}

export class Model {
  readonly out: ModelSyscall[] = [];
  readonly files = new Files();
  readonly tasks = new Map<number, MTask>();
  readonly waits = new WaitQueue(this);
  readonly sched = new Scheduler(this);
  readonly life = new Lifecycle(this);
  readonly pi = new PiModel(this);
  readonly robust: RobustModel;
  readonly futex2: Futex2Model;
  readonly timeouts = new TimeoutModel(this);
  readonly mmRelease = new MmReleaseModel(this);
  private nextProc = 0;
  private readonly maxSlots: number;

  constructor(
    readonly cpus: number,
    readonly opts: ModelOptions,
    nodes = 1,
  ) {
    this.maxSlots = opts.maxSlots ?? MAX_SLOTS;
    this.robust = new RobustModel(this);
    this.futex2 = new Futex2Model(this, nodes);
    const t0 = new MTask(0, new Group(tidOf(0)), this.newProc(new Space()));
    t0.group.tasks.add(t0);
    this.tasks.set(0, t0);
  }

  /** every sleeping waiter, oldest first (per key, this is the FIFO wake order) */
  get queue(): Waiter[] {
    return this.waits.list;
  }

  /** Can t take its next step without anything else happening first? */
  ready(t: MTask): boolean {
    return this.sched.ready(t);
  }

  newProc(space: Space): Proc {
    return new Proc(this.nextProc++, space);
  }

  // ---- the event loop (mirrors the executor's skip rules) ----

  event(ev: Event): void {
    if (ev.stop !== undefined) throw new Unsupported(`@${ev.stop} stops`);
    if (isSyscall(ev)) return this.syscall(ev);
    switch (ev.op) {
      case "gp":
        return;
      case "step":
      case "irq":
      case "fail_alloc":
        throw new Unsupported(ev.op);
    }
    const t = this.live(ev.task);
    if (!t) return;
    switch (ev.op) {
      case "cpu":
        return; // CPU placement is invisible to user space
      case "run":
        return this.sched.runEvent(t);
      case "signal":
        return this.life.signal(t, ev.args.sig);
      case "timeout":
        return this.timeouts.timeout(t);
      case "sigstop":
        return this.timeouts.stop(t);
    }
    return unmodelled(ev);
  }

  live(id: number | undefined): MTask | null {
    const t = id === undefined ? undefined : this.tasks.get(id);
    return t && t.state !== "exited" ? t : null;
  }

  private syscall(ev: EventOf<SyscallName>): void {
    const t = this.live(ev.task);
    if (!t) return;
    if (t.state !== "user" && !this.sched.complete(t)) return; // blocked: skipped
    if (t.state !== "user") return; // it exited on the way
    if (!this.precondition(t, ev)) return;
    const i = this.out.push({ task: t.id, event: printEventBody(ev), ret: null }) - 1;
    this.run(t, ev, i);
  }

  /** Events that cannot run now are skipped (DESIGN §4); these are the simulator's rules. */
  private precondition(t: MTask, ev: EventOf<SyscallName>): boolean {
    switch (ev.op) {
      case "spawn":
      case "fork":
        return !this.tasks.has(ev.args.child);
      case "spawn_cleartid":
        return !this.tasks.has(ev.args.child) && t.proc.space.mapped(ev.args.ctid) && ev.args.ctid.off % 4 === 0;
      case "clone_vm":
      case "vfork":
        return !this.tasks.has(ev.args.child);
      case "set_tid_address":
        return ev.args.tidptr.off % 4 === 0;
      case "munmap":
        return t.proc.space.regions.has(ev.args.region);
      case "mmap":
      case "hash_set_slots":
      case "hash_get_slots":
      case "exec":
      case "exit":
      case "get_robust_list":
      case "set_robust_list":
      case "futex_waitv":
      case "futex2_requeue":
        return true;
      case "robust_init": {
        const a = ev.args.head;
        return t.proc.space.mapped(a) && a.off % 4 === 0;
      }
      case "robust_lock":
      case "robust_unlock":
      case "robust_unlock_legacy":
      case "robust_pending": {
        const a = ev.args.addr;
        return t.proc.space.mapped(a) && a.off % 4 === 0 && a.off + NODE_OFFSET + 4 <= 4096 && t.userHead !== 0;
      }
    }
    return argValues(ev).every((a) => !isAddr(a) || t.proc.space.mapped(a));
  }

  setRet(i: number, ret: number | null, alt?: (number | null)[]): void {
    const s = this.out[i]!;
    s.ret = ret;
    if (alt && alt.length) s.alt = alt;
    else delete s.alt;
  }

  private run(t: MTask, ev: EventOf<SyscallName>, i: number): void {
    const sp = t.proc.space;
    switch (ev.op) {
      case "mmap": {
        const { region, map } = ev.args;
        sp.regions.set(region, map.anon ? new Page(null) : this.files.page(map.file));
        return this.setRet(i, regionAddress(region));
      }
      case "munmap":
        sp.regions.delete(ev.args.region);
        return this.setRet(i, 0);
      case "store":
        sp.write(ev.args.addr, uval(ev.args.value));
        return this.setRet(i, 0);
      case "load":
        return this.setRet(i, sp.read(ev.args.addr));
      case "spawn":
      case "spawn_cleartid": {
        const c = this.newTask(ev.args.child, t.group, t.proc);
        if (ev.op === "spawn_cleartid") this.mmRelease.spawned(c, ev.args.ctid);
        // the thread count the kernel sizes the hash by does not include the new thread yet, and
        // still includes a zombie leader (signal->nr_threads drops in __exit_signal, at reaping)
        t.proc.slots.onThreadCreate(t.group.tasks.size - 1 + (this.life.zombieLeader(t.group) ? 1 : 0), this.cpus);
        return this.setRet(i, c.tid);
      }
      case "fork": {
        const c = this.newTask(ev.args.child, new Group(tidOf(ev.args.child)), this.newProc(sp.copy()));
        c.group.saRestart = t.group.saRestart; // the handlers are copied
        return this.setRet(i, c.tid);
      }
      case "futex_wait": {
        const { addr, value, shared } = ev.args;
        t.wait = { addr, val: uval(value), shared, expiry: null };
        this.waits.futexWait(t, i, addr, uval(value), shared);
        if (t.state !== "waiting") t.wait = null;
        return;
      }
      case "futex_wait_timeout":
        return this.timeouts.wait(t, i, ev.args);
      case "sigaction":
        t.group.saRestart = ev.args.restart;
        return this.setRet(i, 0);
      case "set_tid_address":
        t.clearTid = ev.args.tidptr;
        return this.setRet(i, t.tid);
      case "clone_vm":
      case "vfork":
        return this.mmRelease.cloneVm(t, i, ev.args.child, ev.op === "vfork");
      case "futex_wake": {
        const { addr, nr_wake, shared } = ev.args;
        const key = futexKey(t.proc.id, sp, addr, shared);
        return this.setRet(i, typeof key === "number" ? key : this.waits.wake(key, nr_wake));
      }
      case "futex_requeue":
      {
        const { addr, addr2, nr_wake, nr_requeue, shared } = ev.args;
        return this.setRet(i, this.waits.requeue(t, addr, addr2, nr_wake, nr_requeue, null, shared));
      }
      case "futex_cmp_requeue":
      {
        const { addr, addr2, nr_wake, nr_requeue, value, shared } = ev.args;
        return this.setRet(i, this.waits.requeue(t, addr, addr2, nr_wake, nr_requeue, uval(value), shared));
      }
      case "hash_set_slots": {
        const r = t.proc.slots.set(ev.args.slots, this.maxSlots);
        this.setRet(i, r.ret);
        if (r.blocks) {
          t.state = "slots";
          t.entry = i;
        }
        return;
      }
      case "hash_get_slots": {
        const [ret, ...alt] = t.proc.slots.get();
        return this.setRet(i, ret!, alt);
      }
      case "robust_init":
        return this.robust.init(t, i, ev.args.head);
      case "robust_lock":
        return this.robust.lock(t, i, ev.args.addr);
      case "robust_unlock":
        return this.robust.unlock(t, i, ev.args.addr);
      case "robust_pending":
        return this.robust.pending(t, i, ev.args.addr);
      case "robust_unlock_legacy":
        return this.robust.unlockLegacy(t, i, ev.args.addr);
      case "get_robust_list": {
        const p = this.tasks.get(ev.args.pid);
        return this.setRet(i, this.robust.getRobustList(ev.args.pid), p?.lingering ? [0] : undefined);
      }
      case "set_robust_list":
        return this.setRet(i, this.robust.setRobustList(t, ev.args.head, ev.args.len));
      case "exec":
        return this.life.exec(t, i, ev.args.fail);
      case "exit":
        t.entry = i;
        return this.life.doExit(t);
      case "futex_wake_op":
        return this.setRet(i, this.futex2.wakeOp(t, ev.args));
      case "futex2_wait": {
        const r = this.futex2.wait(t, i, ev.args);
        return r === null ? undefined : this.setRet(i, r);
      }
      case "futex2_wake":
        return this.setRet(i, this.futex2.wake(t, ev.args));
      case "waitv_entry":
        return this.setRet(i, this.futex2.entry(t, ev.args));
      case "futex_waitv": {
        const r = this.futex2.waitv(t, i);
        return r === null ? undefined : this.setRet(i, r);
      }
      case "futex2_requeue":
        return this.setRet(i, this.futex2.requeue(t, ev.args.nr_wake, ev.args.nr_requeue));
      case "futex_lock_pi":
      case "futex_trylock_pi":
        return this.pi.lock(t, i, ev.args.addr, ev.args.shared, ev.op === "futex_trylock_pi");
      case "futex_unlock_pi":
        return this.pi.unlock(t, i, ev.args.addr, ev.args.shared, ev.args.robust);
      case "futex_wait_requeue_pi":
        return this.pi.waitRequeue(t, i, ev.args.addr, uval(ev.args.value), ev.args.addr2, ev.args.shared);
      case "futex_cmp_requeue_pi": {
        const { addr, addr2, nr_wake, nr_requeue, value, shared } = ev.args;
        return this.setRet(i, this.pi.cmpRequeue(t, addr, addr2, nr_wake, nr_requeue, uval(value), shared));
      }
    }
    return unmodelled(ev);
  }

  newTask(id: number, g: Group, proc: Proc): MTask {
    const c = new MTask(id, g, proc);
    g.tasks.add(c);
    this.tasks.set(id, c);
    return c;
  }

  /** the event in flight on t returns r to user space */
  finish(t: MTask, i: number, r: number | null): void {
    t.entry = i;
    this.sched.returnToUser(t, r);
  }

  /** After the last event: every runnable task runs; waiters nobody woke stay asleep (null). */
  drain(): void {
    this.sched.settle(null);
  }
}
