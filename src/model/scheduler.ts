// Reference model: the executor's contract for WHEN a blocked or woken task gets to return to
// user space (DESIGN §4, src/exec/executor.ts):
//   - a woken waiter's return value (0) is fixed when a waker marks it, but it reaches user space
//     only when the task next runs: its next event, `run tN`, or when the executor lets every
//     runnable task progress (an event on a blocked task, the final drain). A SIGKILL that lands
//     before that turns the return into "never returned" (null);
//   - a waiter hit by a signal stays queued until it runs (a wake can still take it: woken wins);
//   - never-woken waiters are ended by teardown: null.
import { Unsupported } from "./errors.js";
import type { MTask } from "./state.js";
import type { Model } from "./reference.js";

export class Scheduler {
  constructor(private readonly m: Model) {}

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
    if (t.group.killed) return this.m.life.doExit(t);
    this.m.setRet(t.entry, ret, alt);
    t.state = "user";
    t.usr1 = false;
    t.stopped = false;
    t.wait = null;
    t.entry = -1;
    t.maybeReturned = false;
  }

  /** Let a ready task finish what it is doing (return to user space, or exit). */
  runOne(t: MTask): void {
    if (t.pi) return this.m.pi.run(t); // a PI lock or requeue-PI wait in flight
    switch (t.state) {
      case "woken":
        if (t.group.killed) {
          // the 0 never reaches user space, unless the task already got to return before
          const i = t.entry;
          const maybe = t.maybeReturned;
          const ret = t.wokenRet;
          this.m.waits.unqueueAll(t);
          this.m.life.doExit(t);
          if (maybe && i >= 0) this.m.out[i]!.alt = [ret];
          return;
        }
        if (t.lockOp) {
          // FUTEX_WAIT returned 0 to the lock loop in user space: a pending caught signal's
          // handler runs there, so it cannot cut the next sleep short
          t.usr1 = false;
          t.stopped = false;
          t.state = "user";
          return this.m.robust.lockLoop(t); // the robust lock re-reads its word
        }
        this.m.waits.unqueueAll(t);
        return this.returnToUser(t, t.wokenRet);
      case "waiting": {
        this.m.waits.unqueueAll(t);
        if (t.group.killed) return this.m.life.doExit(t);
        if (t.lockOp) {
          // -EINTR inside robust_lock: the handler runs, the lock loop goes on
          t.usr1 = false;
          t.stopped = false;
          t.state = "user";
          return this.m.robust.lockLoop(t);
        }
        return this.m.timeouts.interrupted(t);
      }
      case "exiting":
        return this.m.life.doExit(t);
      case "exec":
        return this.m.life.finishExec(t);
      case "slots":
        return this.returnToUser(t, this.m.out[t.entry]!.ret);
      case "vfork": {
        const c = t.vforkChild;
        if (c) c.vforkParent = null; // killed first: child->vfork_done = NULL
        t.vforkChild = null;
        return this.returnToUser(t, this.m.out[t.entry]!.ret);
      }
    }
  }

  /** `run tN`: run it until it returns or blocks; no grace periods, nobody else runs. */
  runEvent(t: MTask): void {
    if (t.state === "slots") return; // waits for grace periods, which `run` does not give
    if (this.ready(t)) this.runOne(t);
  }

  /**
   * A new event on a busy task: complete its syscall first (executor: Scheduler.complete).
   * Returns false when it cannot (a waiter nobody wakes); by then every other runnable task has
   * run, since the executor lets everything progress while looking for a way to finish it.
   */
  complete(t: MTask): boolean {
    for (;;) {
      switch (t.state) {
        case "user":
        case "exited":
          return true;
        case "exec":
          if (!this.ready(t)) {
            // the killed threads must exit; other runnable tasks may or may not get to run
            this.mayHaveRun(t);
            const dying = t.execOthers.filter((o) => o.state !== "exited" && this.ready(o));
            if (this.m.pi.exitRace(dying)) throw new Unsupported("a killed PI locker and its lock's killed owner exit in either order");
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
          // grace periods come only when no task can run: every other runnable task goes first;
          // unless the pivot needs none (the old hash's references already died in an earlier
          // quiet spell): then the others may or may not have run
          this.mayHaveRun(t);
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
    for (const o of this.m.tasks.values()) {
      if (o === except || !this.ready(o) || except.execOthers.includes(o)) continue;
      if (o.state === "woken" && !o.lockOp && !this.m.pi.visibleRun(o)) o.maybeReturned = true;
      else throw new Unsupported(`t${o.id} (${o.state}) may or may not run while t${except.id} completes`);
    }
  }

  /**
   * Let every other runnable task progress until nothing can. Returns true as soon as `target`
   * can go on (the executor then resumes it; whoever else was runnable may or may not have run).
   */
  settle(target: MTask | null): boolean {
    for (const o of this.m.tasks.values()) o.lingering = false;
    for (;;) {
      let progressed = false;
      const ready = [...this.m.tasks.values()].filter((o) => o !== target && this.ready(o));
      const lockers = ready.filter((o) => o.lockOp).map((o) => o.lockOp!.lock);
      if (new Set(lockers).size < lockers.length) throw new Unsupported("robust lockers race for one word");
      if (this.m.pi.robustRace(ready)) throw new Unsupported("a woken PI locker and a robust locker race for one word");
      if (this.m.pi.exitRace(ready)) throw new Unsupported("a killed PI locker and its lock's killed owner exit in either order");
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
}
