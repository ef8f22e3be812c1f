// Signals as futex code sees them: SIGKILL ends the thread group (each thread at its next return
// to user space; interruptible sleeps are cut short); SIGUSR1 is caught without SA_RESTART.
import type { Kernel } from "./kernel.js";
import { do_exit } from "./exit.js";
import type { KGen } from "./sched.js";
import type { Task } from "./task.js";

export type SignalName = "kill" | "usr1";

export function send_signal(t: Task, sig: SignalName): void {
  if (sig === "kill") t.group.killed = true;
  else t.sigusr1 = true;
}

/**
 * exit_to_user_mode(): what happens on the way back to user space. Returns kernel code to run
 * before the task really is in user space (the exit path for a fatal signal), or null.
 */
export function exit_to_user_mode(_k: Kernel, t: Task): KGen<null> | null {
  if (t.group.killed && !t.exiting) return do_exit(_k, t);
  t.sigusr1 = false; // handler ran
  return null;
}

/** Threads of a killed group sitting in user space start their exit path now. */
export function kick_killed(k: Kernel): void {
  for (const t of k.tasks.values()) {
    if (t.state === "user" && t.group.killed && !t.exiting) {
      t.state = "busy";
      t.gen = do_exit(k, t);
      t.pointsInEvent = 0;
    }
  }
}
