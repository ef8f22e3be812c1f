// Reference model: how tasks end and change program. exec kills the other threads (de_thread)
// and waits for them to die, then takes the leader's TID, releases the old mm (robust list, PI
// states, clear_child_tid) and starts on a new address space; exit releases the same and ends
// the syscall in flight (null: it never returned). SIGKILL marks the whole group; its threads
// exit when they next run. SIGUSR1 in user space runs its handler at once (nothing to see).
import { ENOMEM } from "../kernel/errno.js";
import { Space } from "./memory.js";
import { Group, type MTask } from "./state.js";
import type { Model } from "./reference.js";

export class Lifecycle {
  constructor(private readonly m: Model) {}

  exec(t: MTask, i: number, fail: boolean): void {
    if (fail) return this.m.setRet(i, ENOMEM);
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
    return [...this.m.tasks.values()].find((o) => o.group === g && o.state === "exited" && o.tid === g.tgid);
  }

  finishExec(t: MTask): void {
    // de_thread: a non-leader takes its leader's TID before the robust walk (exchange_tids)
    const leader = t.tid === t.group.tgid ? undefined : [...this.m.tasks.values()].find((o) => o !== t && o.tid === t.group.tgid);
    if (leader) [t.tid, leader.tid] = [leader.tid, t.tid];
    this.releaseMm(t);
    t.userHead = 0;
    t.group.saRestart = false; // the new program's handler has no SA_RESTART
    t.proc = this.m.newProc(new Space());
    t.execOthers = [];
    t.state = "user";
    this.m.setRet(t.entry, 0);
    t.entry = -1;
  }

  /** futex_cleanup (robust list, then PI states) and mm_release, at exit and at exec */
  private releaseMm(t: MTask): void {
    this.m.robust.release(t);
    this.m.pi.release(t);
    this.m.mmRelease.release(t);
  }

  doExit(t: MTask): void {
    t.lockOp = null;
    this.releaseMm(t);
    t.state = "exited";
    t.group.tasks.delete(t);
    if (t.entry >= 0) this.m.setRet(t.entry, null);
    t.entry = -1;
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

  signal(t: MTask, sig: "kill" | "usr1"): void {
    if (sig === "kill") return this.killGroup(t.group);
    if (t.state !== "user") t.usr1 = true; // in user space the handler runs at once
  }
}
