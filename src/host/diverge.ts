// Runs whose state the host cannot follow, known only once the simulator has run them: from the
// event where they part, the two kernels hold different words, so every later difference is the
// same one. kernel-diff skips such a program with the reason (docs/host-rules.md), as it does the
// programs plan.ts can tell from their text.
import type { Kernel } from "../kernel/kernel.js";
import { regionAddress } from "../kernel/memory.js";
import { EINVAL } from "../kernel/errno.js";
import { FUTEX_TID_MASK, type Addr, type Event } from "../program/types.js";
import type { Verdict } from "../exec/executor.js";

function addrOf(a: Addr): number {
  return regionAddress(a.region) + (a.off & ~3);
}

/** The word whose owner TID a PI lock looks up (attach_to_pi_owner), or null for other kinds. */
function piOwnerWord(ev: Event): Addr | null {
  if (ev.op === "futex_lock_pi" || ev.op === "futex_trylock_pi") return ev.args.addr;
  if (ev.op === "futex_cmp_requeue_pi") return ev.args.addr2;
  return null;
}

/**
 * At the start of event `ev`: a PI lock about to look up the owner TID 1. On the host that is the
 * runner's controller (pid 1 of its pid namespace: -EPERM for a private key, an owner to attach
 * to for a shared one); the simulator has no task 1 (-ESRCH). plan.ts catches a `store` of 1;
 * this catches any other way there (FUTEX_WAKE_OP's op, say).
 */
export function locksPid1(k: Kernel, ev: Event | undefined): boolean {
  if (!ev || ev.task === undefined) return false;
  const a = piOwnerWord(ev);
  if (!a) return false;
  const t = k.tasks.get(ev.task);
  if (!t?.mm || t.state === "exited") return false;
  const v = t.mm.as.read(addrOf(a));
  return v !== null && (v & FUTEX_TID_MASK) === 1;
}

export const PID1_LOCK = "a PI lock met a word holding TID 1: on the host that is the runner's controller (pid 1 of its namespace)";

/**
 * A robust_unlock that FUTEX_ROBUST_UNLOCK refused with -EINVAL (a PI waiter on the key, or a
 * misaligned word): v7.2 checks before it stores, so the word and list_op_pending stay; 6.18 has
 * no such op, and glibc's unlock there stores 0 first and never sees FUTEX_WAKE's -EINVAL.
 */
export function refusedRobustUnlock(v: Verdict): string | null {
  const s = v.syscalls.find((c) => c.ret === EINVAL && c.event.startsWith("robust_unlock "));
  if (!s) return null;
  return `t${s.task} ${s.event} got -EINVAL from FUTEX_ROBUST_UNLOCK (v7.2 refuses before unlocking); the host (6.18) has no such op: glibc's unlock stores 0 and ignores FUTEX_WAKE's -EINVAL`;
}
