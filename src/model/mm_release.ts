// The reference model of what a task owes others when it lets go of its address space (the
// kernel's mm_release, at exit and at exec), and of the clones that share an address space:
// - clear_child_tid: pthread_create's clone stores the new thread's TID in its word
//   (CLONE_PARENT_SETTID) and remembers it (CLONE_CHILD_CLEARTID), set_tid_address remembers a
//   word; if another task still uses the address space, the word becomes 0 and one shared
//   FUTEX_WAKE goes to it (pthread_join's wait);
// - vfork: the parent sleeps until the child execs or exits, then returns the child's PID.
// clone_vm makes a new process (thread group) on the same address space.
import type { Addr } from "../program/types.js";
import { futexKey } from "./keys.js";
import { Group, tidOf, type MTask } from "./state.js";
import type { Model } from "./reference.js";

export class MmReleaseModel {
  constructor(private readonly m: Model) {}

  /** `spawn_cleartid tM A`: the new thread c already exists; its TID goes to A */
  spawned(c: MTask, ctid: Addr): void {
    c.clearTid = ctid;
    c.proc.space.write(ctid, c.tid);
  }

  /** `clone_vm tM` / `vfork tM`: a new process on t's address space; a vfork parent waits */
  cloneVm(t: MTask, i: number, id: number, vfork: boolean): void {
    // the default hash is sized by the parent's threads (the new process is not one of them)
    t.proc.slots.onThreadCreate(t.group.tasks.size + (this.m.life.zombieLeader(t.group) ? 1 : 0), this.m.cpus);
    const c = this.m.newTask(id, new Group(tidOf(id)), t.proc);
    c.group.saRestart = t.group.saRestart;
    if (!vfork) return this.m.setRet(i, c.tid);
    c.vforkParent = t;
    t.vforkChild = c;
    t.entry = i;
    t.state = "vfork";
  }

  /** mm_release(): clear_child_tid (0 and one shared wake while another task uses the space), vfork */
  release(t: MTask): void {
    const p = t.vforkParent;
    t.vforkParent = null;
    if (p && p.vforkChild === t) {
      // complete_vfork_done: the parent's vfork returns the PID when it runs again
      p.vforkChild = null;
      this.m.setRet(p.entry, t.tid);
    }
    const a = t.clearTid;
    t.clearTid = null;
    if (!a) return;
    const others = [...this.m.tasks.values()].some((o) => o !== t && o.proc === t.proc && o.state !== "exited");
    if (!others || !t.proc.space.mapped(a)) return;
    t.proc.space.write(a, 0);
    const key = futexKey(t.proc.id, t.proc.space, a, true);
    if (typeof key === "string") this.m.waits.wake(key, 1);
  }
}
