// How the world outside the kernel reaches it, for the executor: boot (start_kernel and the
// first process), a signal sent to a task, and the SIGKILL of every thread group at teardown.
// Syscalls enter through syscalls.ts, interrupts of user mode through irq.ts. Which task runs
// when is the scheduler's business (src/exec/scheduler.ts); nothing here runs a task.
import type { Kernel } from "./kernel.js";
import { mm_alloc } from "./mm.js";
import { run_atomic } from "./sched.js";
import { send_signal, type SignalName } from "./signal.js";
import type { Task } from "./task.js";
import { map_vdso } from "./vdso.js";

/** start_kernel() up to init: the first process, t0 on CPU 0 with a fresh mm and the vDSO. */
export function start_kernel(k: Kernel): Task {
  const mm = run_atomic(mm_alloc(k, k.softirq));
  if (mm) map_vdso(mm);
  return k.newTask(0, null, mm, 0);
}

/**
 * kill(2)/tgkill(2) from outside: a caught signal arriving in user space runs its handler at once;
 * a group stop stops and continues the group's threads in user space at once.
 */
export function signal_task(t: Task, sig: SignalName): void {
  send_signal(t, sig);
  if (sig === "stop") {
    for (const o of t.group.tasks) if (o.state === "user") o.jobStop = false;
  } else if (t.state === "user") t.sigusr1 = false;
}

/** Teardown: SIGKILL to every task still alive, so every thread group exits. */
export function kill_everything(k: Kernel): void {
  for (const t of k.taskList) if (t.state !== "exited") send_signal(t, "kill");
}
