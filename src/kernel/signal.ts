// Signals as futex code sees them: SIGKILL ends the thread group (each thread at its next return
// to user space; interruptible sleeps are cut short); SIGUSR1 is caught (with SA_RESTART once
// `sigaction restart` installed it so); a group stop (SIGSTOP then SIGCONT) interrupts without
// running a handler. The syscall restart rules of arch_do_signal_or_restart() are here too.
import type { Kernel } from "./kernel.js";
import { EINTR, ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTSYS } from "./errno.js";
import { do_exit } from "./exit.js";
import type { KGen } from "./sched.js";
import type { Task } from "./task.js";
import { SIGNAL_HANDLER_IP } from "./vdso.js";

export type SignalName = "kill" | "usr1" | "stop";

/**
 * A user access that faults (its page was unmapped meanwhile): SIGSEGV with no handler kills the
 * thread group. Returns null: the access never completes in user space.
 */
export function force_sigsegv(t: Task): null {
  send_signal(t, "kill");
  return null;
}

export function send_signal(t: Task, sig: SignalName): void {
  if (sig === "kill") t.group.killed = true;
  else if (sig === "usr1") t.sigusr1 = true;
  // a group stop reaches every thread of the group (do_signal_stop, then SIGCONT)
  else for (const o of t.group.tasks) o.jobStop = true;
}

/** The -ERESTART* codes (kernel-internal; user space never sees them). */
export function is_restart_code(ret: number): boolean {
  return ret <= ERESTARTSYS && ret >= ERESTART_RESTARTBLOCK;
}

/**
 * arch_do_signal_or_restart()'s syscall restart, for a syscall that returned a -ERESTART* code:
 * with a handler to run (SIGUSR1), -ERESTARTSYS restarts only with SA_RESTART and
 * -ERESTARTNOHAND / -ERESTART_RESTARTBLOCK become -EINTR; with none (a group stop and SIGCONT),
 * every code restarts, -ERESTART_RESTARTBLOCK through the restart block (restart_syscall()).
 * Returns the value user space gets, or the restarted call's code. A fatal signal leaves the
 * code alone: the task exits on its way out.
 */
export function syscall_restart(k: Kernel, t: Task, ret: number): number | KGen<number | null> {
  if (t.group.killed) return ret;
  const handler = t.sigusr1;
  if (handler && (ret === ERESTARTNOHAND || ret === ERESTART_RESTARTBLOCK || (ret === ERESTARTSYS && !t.group.saRestart))) return EINTR;
  // the handler (if any) runs in user space, the stop ends with SIGCONT; then the call again
  k.hooks.userReturn(t);
  t.sigusr1 = false;
  t.jobStop = false;
  const again = ret === ERESTART_RESTARTBLOCK ? t.restartBlock?.() : t.restartSyscall?.restart();
  return again ?? EINTR;
}

/**
 * exit_to_user_mode(): what happens on the way back to user space. Returns kernel code to run
 * before the task really is in user space (the exit path for a fatal signal), or null.
 */
export function exit_to_user_mode(_k: Kernel, t: Task): KGen<null> | null {
  _k.hooks.userReturn(t);
  if (t.group.killed && !t.exiting) return do_exit(_k, t);
  t.sigusr1 = false; // handler ran
  t.jobStop = false; // stopped and continued
  return null;
}

/**
 * __exit_to_user_mode_loop() on the return from an interrupt of user mode (v7.2). While a signal
 * is pending: first the robust unlock fixup (Kernel.seams.robustUnlockFixup, 7010c39d: before delivery,
 * so neither do_exit nor a handler frame sees the interrupted unlock), then delivery: SIGKILL ends
 * in do_exit (returns false); a caught SIGUSR1 runs its handler in user mode (a preemption point)
 * and comes back through rt_sigreturn, a syscall (no user_irq), which restores the registers.
 */
export function* exit_to_user_mode_loop(k: Kernel, t: Task): KGen<boolean> {
  while (t.signalPending()) {
    yield* k.seams.robustUnlockFixup(k, t);
    if (t.group.killed) {
      if (!t.exiting) yield* do_exit(k, t);
      return false;
    }
    if (!t.sigusr1) {
      // a group stop: do_signal_stop() until SIGCONT; no handler, the registers stay
      t.jobStop = false;
      yield "do_signal_stop: stopped until SIGCONT";
      continue;
    }
    // arch_do_signal_or_restart(): handle_signal() builds the frame; regs->ip = handler
    t.sigusr1 = false;
    const saved = { ...t.regs };
    t.userIrq = false;
    t.regs = { ip: SIGNAL_HANDLER_IP, zf: false, dx: 0 };
    yield "user: SIGUSR1 handler";
    yield "rt_sigreturn: restore_sigcontext";
    t.regs = saved;
  }
  return true;
}

/** Threads of a killed group sitting in user space start their exit path now. */
export function kick_killed(k: Kernel): void {
  for (const t of k.taskList) {
    if (t.state === "user" && t.group.killed && !t.exiting) {
      t.state = "busy";
      t.gen = do_exit(k, t);
      t.pointsInEvent = 0;
    }
  }
}
