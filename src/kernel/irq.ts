// An interrupt of user mode with a signal pending (the `irq tN k SIG` event): the interrupt
// entry records that the kernel was entered from user mode (rseq's user_irq) with the user
// registers at the interrupted instruction; the task then sits on the interrupt return path
// (irqentry_exit_to_user_mode) until scheduled, where exit_to_user_mode_loop runs the robust
// unlock fixup and delivers the signal. If it survives, it resumes the interrupted user code.
import type { Kernel } from "./kernel.js";
import type { KGen } from "./sched.js";
import type { Task } from "./task.js";
import { exit_to_user_mode_loop, send_signal, type SignalName } from "./signal.js";

/** Why t cannot take a user-mode interrupt inside a robust unlock now, or null. */
export function irq_precondition(t: Task): string | null {
  if (t.state === "user") return null;
  if (t.state === "busy" && t.ruser?.op === "unlock") return null;
  return `${t.name} is not in user mode or in a robust unlock`;
}

/**
 * `irq tN k SIG` interrupts after user instruction k of t's robust unlock: while the unlock is in
 * progress and has not finished that instruction, the interrupt waits.
 */
export function irq_awaits_insn(t: Task, insn: number): boolean {
  const op = t.ruser;
  return t.state === "busy" && op !== null && op.op === "unlock" && (op.inKernel || op.done < insn);
}

/**
 * The interrupt arrives now, with `sig` pending. A task in user space outside any robust mutex
 * code just gets the signal (a caught one's handler runs at once); a task inside a robust unlock
 * (in user mode) enters the kernel and sits on the interrupt return path.
 */
export function irq_from_user(k: Kernel, t: Task, sig: SignalName): void {
  send_signal(t, sig);
  if (t.state === "busy" && t.gen && t.ruser && !t.ruser.inKernel && !t.exiting) {
    t.userIrq = true;
    t.gen = irqentry_exit_to_user_mode(k, t, t.gen);
  } else if (t.state === "user" && sig === "usr1") t.sigusr1 = false;
}

function* irqentry_exit_to_user_mode(k: Kernel, t: Task, interrupted: KGen<number | null>): KGen<number | null> {
  const op = t.ruser;
  if (op) op.inKernel = true;
  t.frames.push("irqentry_exit_to_user_mode");
  let alive: boolean;
  try {
    yield "irqentry_exit_to_user_mode: interrupted in user mode";
    alive = yield* exit_to_user_mode_loop(k, t);
  } finally {
    t.frames.pop();
  }
  if (!alive) return null;
  t.userIrq = false;
  if (op) op.inKernel = false;
  yield "iret: back to the interrupted user instruction";
  return yield* interrupted;
}
