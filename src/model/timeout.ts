// The reference model of timed waits and syscall restarts: what user space sees, with no clock.
// A timed FUTEX_WAIT sleeps like an untimed one until `timeout tN` says its expiry passed; then it
// returns -ETIMEDOUT when it runs, unless a wake took it first (woken wins: it returns 0). A caught
// SIGUSR1 ends an untimed wait with -EINTR, or re-runs it with SA_RESTART (`sigaction restart`);
// a timed one always gets -EINTR (a handler turns -ERESTART_RESTARTBLOCK into -EINTR). A group
// stop (`sigstop`) runs no handler: every interrupted wait re-runs, a timed one with its expiry.
// A re-run wait reads the word again (-EAGAIN if it changed) and queues behind the others.
import type { ArgsOf } from "../program/events.js";
import { EFAULT, EINTR, EINVAL, ENOSYS, ETIMEDOUT } from "../kernel/errno.js";
import { uval, type MTask } from "./state.js";
import type { Model } from "./reference.js";
import { Unsupported } from "./errors.js";

export class TimeoutModel {
  constructor(private readonly m: Model) {}

  /** `futex_wait_timeout`: the timespec and clock checks, then a wait with an expiry. */
  wait(t: MTask, i: number, { addr, value, clock, shared }: ArgsOf<"futex_wait_timeout">): void {
    if (clock === "bad_nsec") return this.m.setRet(i, EINVAL);
    if (clock === "rel_realtime") return this.m.setRet(i, ENOSYS);
    t.wait = { addr, val: uval(value), shared, expiry: { passed: false } };
    this.m.waits.futexWait(t, i, addr, uval(value), shared);
    if (t.state !== "waiting") t.wait = null;
  }

  /** `timeout tN`: the expiry of tN's timed wait passes (nothing to see if it was woken first). */
  timeout(t: MTask): void {
    if (t.wait?.expiry) t.wait.expiry.passed = true;
  }

  /** `sigstop tN`: every thread of the group asleep in a wait is interrupted (and will restart). */
  stop(t: MTask): void {
    for (const o of t.group.tasks) if (o.state === "waiting") o.stopped = true;
  }

  /** A waiter that is not woken runs: timed out, interrupted by a handler, or restarted. */
  interrupted(t: MTask): void {
    const w = t.wait;
    if (w?.expiry?.passed) return this.m.sched.returnToUser(t, ETIMEDOUT);
    const handler = t.usr1;
    // a wait this model cannot re-run (futex2's, futex_waitv's) that the kernel restarts
    if (!w && ((handler && t.group.saRestart) || (!handler && t.stopped))) throw new Unsupported("a futex2 or futex_waitv wait restarted (SA_RESTART or a group stop)");
    t.usr1 = false;
    t.stopped = false;
    if (!w || (handler && (w.expiry || !t.group.saRestart))) return this.m.sched.returnToUser(t, EINTR);
    // the same call again (futex_wait_restart keeps the expiry); its page may be gone by now
    if (!t.proc.space.mapped(w.addr)) return this.m.sched.returnToUser(t, EFAULT);
    const i = t.entry;
    t.state = "user";
    this.m.waits.futexWait(t, i, w.addr, w.val, w.shared);
    if (this.m.queue.some((q) => q.task === t)) return; // asleep again
    t.wait = null;
    t.entry = -1;
  }
}
