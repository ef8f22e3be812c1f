// The reference model: a small, sequential statement of what a futex-fuzz program must return.
//
// It knows nothing of hashes, buckets, references, RCU or preemption points. State: processes
// (an address space + the private-hash size), tasks, and ONE FIFO list of sleeping waiters, each
// with its futex key. Every syscall runs to completion at once or leaves its task blocked; the
// only scheduling it mirrors is the executor's contract for WHEN a blocked or woken task gets
// to return to user space (DESIGN §4, src/exec/executor.ts):
//   - a woken waiter's return value (0) is fixed when a waker marks it, but it reaches user space
//     only when the task next runs: its next event, `run tN`, or when the executor lets every
//     runnable task progress (an event on a blocked task, the final drain). A SIGKILL that lands
//     before that turns the return into "never returned" (null);
//   - a waiter hit by a signal stays queued until it runs (a wake can still take it: woken wins);
//   - never-woken waiters are ended by teardown: null.
// Programs with `@k`, `step`, `irq` or `fail_alloc` are interleavings, not sequential programs:
// the model reports them as unsupported.
import { argValues, isAddr, isSyscall, type EventOf, type SyscallName } from "../program/events.js";
import { printEventBody } from "../program/text.js";
import type { Addr, Event, Program } from "../program/types.js";
import { futexKey, type Key } from "./keys.js";
import { Files, Page, regionAddress, Space } from "./memory.js";
import { Unsupported } from "./errors.js";
import { EAGAIN, ENOMEM } from "../kernel/errno.js";
import { MAX_SLOTS, Proc, Group, MTask, tidOf, uval, type ModelSyscall, type ModelVerdict, type ModelOptions, type Waiter } from "./state.js";

import { RobustModel, NODE_OFFSET } from "./robust.js";
import { Futex2Model } from "./futex2.js";
import { TimeoutModel } from "./timeout.js";
import { MmReleaseModel } from "./mm_release.js";

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
  /** every sleeping waiter, oldest first (per key, this is the FIFO wake order) */
  readonly queue: Waiter[] = [];
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
        return this.runEvent(t);
      case "signal":
        return this.signal(t, ev.args.sig);
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
    if (t.state !== "user" && !this.complete(t)) return; // blocked: skipped
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
        t.proc.slots.onThreadCreate(t.group.tasks.size - 1 + (this.zombieLeader(t.group) ? 1 : 0), this.cpus);
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
        this.futexWait(t, i, addr, uval(value), shared);
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
        return this.setRet(i, typeof key === "number" ? key : this.wake(key, nr_wake));
      }
      case "futex_requeue":
      {
        const { addr, addr2, nr_wake, nr_requeue, shared } = ev.args;
        return this.setRet(i, this.requeue(t, addr, addr2, nr_wake, nr_requeue, null, shared));
      }
      case "futex_cmp_requeue":
      {
        const { addr, addr2, nr_wake, nr_requeue, value, shared } = ev.args;
        return this.setRet(i, this.requeue(t, addr, addr2, nr_wake, nr_requeue, uval(value), shared));
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
        return this.exec(t, i, ev.args.fail);
      case "exit":
        t.entry = i;
        return this.doExit(t);
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
      case "futex_unlock_pi":
      case "futex_wait_requeue_pi":
      case "futex_cmp_requeue_pi":
        // PI ownership, rt_mutex hand-over and requeue-PI are checked against the host kernel
        // (kernel-diff) and by the PI sanitizer, not by this model
        throw new Unsupported(`${ev.op} (PI futexes are not in the reference model)`);
    }
    return unmodelled(ev);
  }

  newTask(id: number, g: Group, proc: Proc): MTask {
    const c = new MTask(id, g, proc);
    g.tasks.add(c);
    this.tasks.set(id, c);
    return c;
  }

  // ---- futex operations ----

  futexWait(t: MTask, i: number, a: Addr, val: number, shared: boolean): void {
    const key = futexKey(t.proc.id, t.proc.space, a, shared);
    if (typeof key === "number") return this.setRet(i, key);
    if (t.proc.space.read(a) !== val) return this.setRet(i, EAGAIN);
    t.entry = i;
    this.sleep(t, key);
  }

  /** queue t (its syscall in flight is t.entry) */
  sleep(t: MTask, key: Key): void {
    this.queue.push({ task: t, key });
    t.state = "waiting";
  }

  /** the event in flight on t returns r to user space */
  finish(t: MTask, i: number, r: number | null): void {
    t.entry = i;
    this.returnToUser(t, r);
  }

  /** a fault in user mode: SIGSEGV kills the thread group; the event never returns */
  segv(t: MTask): void {
    t.lockOp = null;
    this.killGroup(t.group);
    this.doExit(t);
  }

  killGroup(g: Group): void {
    g.killed = true;
    for (const o of g.tasks) if (o.state === "user") o.state = "exiting";
  }

  /** Wake up to nr waiters of key, oldest first; nr 0 still wakes one (legacy FUTEX_WAKE). */
  wake(key: Key, nr: number): number {
    const n = Math.max(nr, 1);
    let woken = 0;
    for (const w of [...this.queue]) {
      if (w.key !== key) continue;
      this.markWoken(w);
      if (++woken >= n) break;
    }
    return woken;
  }

  markWoken(w: Waiter): void {
    this.queue.splice(this.queue.indexOf(w), 1);
    const again = w.task.state === "woken";
    w.task.state = "woken";
    w.task.maybeReturned = false;
    // futex_waitv: its other entries stay queued until it runs; it returns the largest woken index
    w.task.wokenRet = w.index === undefined ? 0 : again ? Math.max(w.task.wokenRet, w.index) : w.index;
    // a plain FUTEX_WAIT returns 0; a robust lock goes on with its loop when it runs
    if (!w.task.lockOp) this.setRet(w.task.entry, w.task.wokenRet);
  }

  /** t's waiters still queued (futex_waitv's other entries) go: it is running again */
  private unqueueAll(t: MTask): void {
    for (let j = this.queue.length - 1; j >= 0; j--) if (this.queue[j]!.task === t) this.queue.splice(j, 1);
  }

  /**
   * FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wake the first nr_wake waiters of key1, move the next
   * nr_requeue to key2 (behind key2's waiters); returns woken + requeued. CMP: -EAGAIN when the
   * word at uaddr1 is not `cmp`. A requeue onto the same key leaves the waiters where they are.
   */
  private requeue(t: MTask, a1: Addr, a2: Addr, nrWake: number, nrRequeue: number, cmp: number | null, shared: boolean): number {
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
    const matching = this.queue.filter((w) => w.key === k1);
    const total = Math.min(matching.length, nrWake + nrRequeue);
    const moved: Waiter[] = [];
    for (let n = 0; n < total; n++) {
      const w = matching[n]!;
      if (n < nrWake) this.markWoken(w);
      else moved.push(w);
    }
    if (k1 !== k2) {
      for (const w of moved) {
        this.queue.splice(this.queue.indexOf(w), 1);
        w.key = k2;
        this.queue.push(w);
      }
    }
    if (this.opts.faults?.requeueDropsLast && moved.length) {
      const lost = moved[moved.length - 1]!;
      this.queue.splice(this.queue.indexOf(lost), 1);
    }
    return total;
  }

  // ---- tasks, signals, scheduling ----

  private exec(t: MTask, i: number, fail: boolean): void {
    if (fail) return this.setRet(i, ENOMEM);
    const others = [...t.group.tasks].filter((o) => o !== t);
    t.entry = i;
    if (!others.length) return this.finishExec(t);
    // de_thread: SIGKILL every other thread; they die in their own time, exec waits for them
    const killed = new Group(t.group.tgid);
    killed.killed = true;
    for (const o of others) {
      t.group.tasks.delete(o);
      o.group = killed;
      killed.tasks.add(o);
      if (o.state === "user") o.state = "exiting";
    }
    t.execOthers = others;
    t.state = "exec";
  }

  /** An exited leader of a group whose threads live on: a zombie until reaped. */
  zombieLeader(g: Group): MTask | undefined {
    return [...this.tasks.values()].find((o) => o.group === g && o.state === "exited" && o.tid === g.tgid);
  }

  private finishExec(t: MTask): void {
    // de_thread: a non-leader takes its leader's TID before the robust walk (exchange_tids)
    const leader = t.tid === t.group.tgid ? undefined : [...this.tasks.values()].find((o) => o !== t && o.tid === t.group.tgid);
    if (leader) [t.tid, leader.tid] = [leader.tid, t.tid];
    this.robust.release(t);
    this.mmRelease.release(t);
    t.userHead = 0;
    t.group.saRestart = false; // the new program's handler has no SA_RESTART
    t.proc = this.newProc(new Space());
    t.execOthers = [];
    t.state = "user";
    this.setRet(t.entry, 0);
    t.entry = -1;
  }

  doExit(t: MTask): void {
    t.lockOp = null;
    this.robust.release(t);
    this.mmRelease.release(t);
    t.state = "exited";
    t.group.tasks.delete(t);
    if (t.entry >= 0) this.setRet(t.entry, null);
    t.entry = -1;
  }

  private signal(t: MTask, sig: "kill" | "usr1"): void {
    if (sig === "kill") return this.killGroup(t.group);
    if (t.state !== "user") t.usr1 = true; // in user space the handler runs at once
  }

  /** Can t take its next step without anything else happening first? */
  ready(t: MTask): boolean {
    switch (t.state) {
      case "woken":
      case "exiting":
      case "slots":
        return true;
      case "waiting":
        return t.usr1 || t.group.killed || t.stopped || t.wait?.expiry?.passed === true;
      case "exec":
        return t.execOthers.every((o) => o.state === "exited");
      case "vfork":
        return t.vforkChild === null || t.group.killed;
      default:
        return false;
    }
  }

  /** The event in flight on t gets back to user space with `ret`; a killed task exits instead. */
  returnToUser(t: MTask, ret: number | null, alt?: (number | null)[]): void {
    if (t.group.killed) return this.doExit(t);
    this.setRet(t.entry, ret, alt);
    t.state = "user";
    t.usr1 = false;
    t.stopped = false;
    t.wait = null;
    t.entry = -1;
    t.maybeReturned = false;
  }

  /** Let a ready task finish what it is doing (return to user space, or exit). */
  private runOne(t: MTask): void {
    switch (t.state) {
      case "woken":
        if (t.group.killed) {
          // the 0 never reaches user space, unless the task already got to return before
          const i = t.entry;
          const maybe = t.maybeReturned;
          const ret = t.wokenRet;
          this.unqueueAll(t);
          this.doExit(t);
          if (maybe && i >= 0) this.out[i]!.alt = [ret];
          return;
        }
        if (t.lockOp) {
          // FUTEX_WAIT returned 0 to the lock loop in user space: a pending caught signal's
          // handler runs there, so it cannot cut the next sleep short
          t.usr1 = false;
          t.stopped = false;
          t.state = "user";
          return this.robust.lockLoop(t); // the robust lock re-reads its word
        }
        this.unqueueAll(t);
        return this.returnToUser(t, t.wokenRet);
      case "waiting": {
        this.unqueueAll(t);
        if (t.group.killed) return this.doExit(t);
        if (t.lockOp) {
          // -EINTR inside robust_lock: the handler runs, the lock loop goes on
          t.usr1 = false;
          t.stopped = false;
          t.state = "user";
          return this.robust.lockLoop(t);
        }
        return this.timeouts.interrupted(t);
      }
      case "exiting":
        return this.doExit(t);
      case "exec":
        return this.finishExec(t);
      case "slots":
        return this.returnToUser(t, this.out[t.entry]!.ret);
      case "vfork": {
        const c = t.vforkChild;
        if (c) c.vforkParent = null; // killed first: child->vfork_done = NULL
        t.vforkChild = null;
        return this.returnToUser(t, this.out[t.entry]!.ret);
      }
    }
  }

  /** `run tN`: run it until it returns or blocks; no grace periods, nobody else runs. */
  private runEvent(t: MTask): void {
    if (t.state === "slots") return; // waits for grace periods, which `run` does not give
    if (this.ready(t)) this.runOne(t);
  }

  /**
   * A new event on a busy task: complete its syscall first (executor: Scheduler.complete).
   * Returns false when it cannot (a waiter nobody wakes); by then every other runnable task has
   * run, since the executor lets everything progress while looking for a way to finish it.
   */
  private complete(t: MTask): boolean {
    for (;;) {
      switch (t.state) {
        case "user":
        case "exited":
          return true;
        case "exec":
          if (!this.ready(t)) {
            // the killed threads must exit; other runnable tasks may or may not get to run
            this.mayHaveRun(t);
            for (const o of t.execOthers) {
          if (o.state !== "exited" && this.ready(o)) this.runOne(o);
          o.lingering = true;
        }
            this.mayHaveRun(t); // tasks the dying threads' robust lists woke
            if (!this.ready(t)) throw new Unsupported(`exec of t${t.id} waits for a thread that cannot exit`);
          }
          this.runOne(t);
          continue;
        case "slots":
          // grace periods come only when no task can run: every other runnable task goes first
          this.settle(t);
          this.runOne(t);
          continue;
      }
      if (this.ready(t)) {
        this.runOne(t);
        continue;
      }
      if (!this.settle(t)) return false;
    }
  }

  /** Others that are ready while the executor looks for progress for t: they may have run. */
  private mayHaveRun(except: MTask): void {
    for (const o of this.tasks.values()) {
      if (o === except || !this.ready(o) || except.execOthers.includes(o)) continue;
      if (o.state === "woken" && !o.lockOp) o.maybeReturned = true;
      else throw new Unsupported(`t${o.id} (${o.state}) may or may not run while t${except.id} completes`);
    }
  }

  /**
   * Let every other runnable task progress until nothing can. Returns true as soon as `target`
   * can go on (the executor then resumes it; whoever else was runnable may or may not have run).
   */
  settle(target: MTask | null): boolean {
    for (const o of this.tasks.values()) o.lingering = false;
    for (;;) {
      let progressed = false;
      const ready = [...this.tasks.values()].filter((o) => o !== target && this.ready(o));
      const lockers = ready.filter((o) => o.lockOp).map((o) => o.lockOp!.lock);
      if (new Set(lockers).size < lockers.length) throw new Unsupported("robust lockers race for one word");
      for (const o of ready) {
        if (!this.ready(o)) continue;
        this.runOne(o);
        progressed = true;
        if (target && target.state !== "slots" && this.ready(target)) {
          this.mayHaveRun(target);
          return true;
        }
      }
      if (!progressed) return false;
    }
  }

  /** After the last event: every runnable task runs; waiters nobody woke stay asleep (null). */
  drain(): void {
    this.settle(null);
  }
}
