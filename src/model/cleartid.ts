// The reference model of clear_child_tid: pthread_create's clone stores the new thread's TID in
// its word (CLONE_PARENT_SETTID) and remembers it (CLONE_CHILD_CLEARTID), set_tid_address
// remembers a word; when the task lets go of its address space (exit, exec) while another task
// still uses it, the word becomes 0 and one shared FUTEX_WAKE goes to it (pthread_join's wait).
import type { Addr } from "../program/types.js";
import { futexKey } from "./keys.js";
import type { MTask } from "./state.js";
import type { Model } from "./reference.js";

export class ClearTidModel {
  constructor(private readonly m: Model) {}

  /** `spawn_cleartid tM A`: the new thread c already exists; its TID goes to A */
  spawned(c: MTask, ctid: Addr): void {
    c.clearTid = ctid;
    c.proc.space.write(ctid, c.tid);
  }

  /** mm_release(): 0 and one shared wake, while another task still uses the address space */
  release(t: MTask): void {
    const a = t.clearTid;
    t.clearTid = null;
    if (!a) return;
    const others = [...this.m.tasks.values()].some((o) => o !== t && o.proc === t.proc && o.state !== "exited");
    if (!others || !t.proc.space.mapped(a)) return;
    t.proc.space.write(a, 0);
    const key = futexKey(t.proc.id, t.proc.space, a, true);
    if (typeof key === "string") this.m.wake(key, 1);
  }
}
