// kernel/futex/syscalls.c, the futex2 syscalls: futex_wait(2), futex_wake(2) and
// futex_requeue(2), each with a futex2 flags word (FUTEX2_SIZE_*, FUTEX2_PRIVATE, FUTEX2_NUMA;
// numa.ts turns it into FLAGS_* and a key), and the user-space struct futex_waitv array that
// futex_requeue(2) and futex_waitv(2) (waitv.ts) read.
import type { Kernel } from "../kernel.js";
import type { KGen } from "../sched.js";
import type { Task } from "../task.js";
import { EINVAL } from "../errno.js";
import { futex_wait, futex_wake } from "./waitwake.js";
import { futex_requeue } from "./requeue.js";
import { FLAGS_STRICT, FUTEX2_VALID_MASK, futex2_to_flags, futex_flags_valid, get_futex_key_flags } from "./numa.js";

/** struct futex_waitv as user space filled it in: val, uaddr, flags (FUTEX2_*); __reserved is 0. */
export interface WaitvEntry {
  val: number;
  uaddr: number;
  flags: number;
}

/** The futex2 flags word checked and converted (the syscalls' common prologue): FLAGS_*, or -EINVAL. */
export function futex2_flags(flags2: number): number {
  if (flags2 & ~FUTEX2_VALID_MASK) return EINVAL;
  const flags = futex2_to_flags(flags2);
  return futex_flags_valid(flags) ? flags : EINVAL;
}

/** sys_futex_wait(uaddr, val, mask = FUTEX_BITSET_MATCH_ANY, flags): 0, -EAGAIN, -EINVAL, -EFAULT, -EINTR. */
export function* sys_futex_wait(k: Kernel, t: Task, uaddr: number, val: number, flags2: number): KGen<number> {
  t.frames.push("sys_futex_wait");
  try {
    const flags = futex2_flags(flags2);
    if (flags < 0) return flags;
    // futex_validate_input(flags, val): a u32 value always fits a 32-bit futex
    // TODO(timeouts): the timeout and clockid arguments (the lifecycle helper's timeout event)
    const key = get_futex_key_flags(k, t, uaddr, flags);
    if (typeof key === "number") return key;
    return yield* futex_wait(k, t, uaddr, val, key);
  } finally {
    t.frames.pop();
  }
}

/** sys_futex_wake(uaddr, mask = FUTEX_BITSET_MATCH_ANY, nr, flags): FLAGS_STRICT, so nr 0 wakes none. */
export function* sys_futex_wake(k: Kernel, t: Task, uaddr: number, nr: number, flags2: number): KGen<number> {
  t.frames.push("sys_futex_wake");
  try {
    const flags = futex2_flags(flags2);
    if (flags < 0) return flags;
    const key = get_futex_key_flags(k, t, uaddr, flags | FLAGS_STRICT);
    if (typeof key === "number") return key;
    if (nr === 0) return 0; // (flags & FLAGS_STRICT) && !nr_wake
    return yield* futex_wake(k, t, key, nr);
  } finally {
    t.frames.pop();
  }
}

/**
 * futex_parse_waitv(): copy the entries in and check each one's flags. Entries past the end of
 * what user space filled in read as zeroes (FUTEX2_SIZE_U8: -EINVAL). Returns FLAGS_* per entry.
 */
export function futex_parse_waitv(entries: readonly WaitvEntry[], nr: number): WaitvEntry[] | number {
  const out: WaitvEntry[] = [];
  for (let i = 0; i < nr; i++) {
    const aux = entries[i] ?? { val: 0, uaddr: 0, flags: 0 };
    const flags = futex2_flags(aux.flags);
    if (flags < 0) return flags;
    out.push({ val: aux.val, uaddr: aux.uaddr, flags });
  }
  return out;
}

/** The futex2RequeueFlags seam: sys_futex_requeue's check of the two entries' flags (FLAGS_*). */
export type Futex2RequeueFlags = (flags1: number, flags2: number) => number;

/**
 * sys_futex_requeue [v7.2, 19f94b390586 "futex: Require sys_futex_requeue() to have identical
 * flags"]: both futexes must have the same flags, as sys_futex's requeue has.
 */
export function futex2_requeue_flags(flags1: number, flags2: number): number {
  return flags1 !== flags2 ? EINVAL : 0;
}

/**
 * sys_futex_requeue as 0f4b5f972216 "futex: Add sys_futex_requeue()" added it: each futex keeps
 * its own flags (meant for futexes of different sizes), so a shared futex's waiters can be
 * requeued onto a private key: into the caller's private hash, which is freed with the caller's
 * mm while a waiter of another process still sleeps on it.
 */
export function futex2_requeue_flags_pre_19f94b390586(): number {
  return 0;
}

/**
 * sys_futex_requeue(waiters[2], flags, nr_wake, nr_requeue): FUTEX_CMP_REQUEUE from waiters[0]
 * (its val is the CMP value) to waiters[1]. Returns woken + requeued, -EAGAIN, -EINVAL, -EFAULT.
 */
export function* sys_futex_requeue(k: Kernel, t: Task, entries: readonly WaitvEntry[], nr_wake: number, nr_requeue: number): KGen<number> {
  t.frames.push("sys_futex_requeue");
  try {
    const vs = futex_parse_waitv(entries, 2);
    if (typeof vs === "number") return vs;
    const [a, b] = [vs[0]!, vs[1]!];
    const bad = k.seams.futex2RequeueFlags(a.flags, b.flags);
    if (bad) return bad;
    return yield* futex_requeue(k, t, a.uaddr, b.uaddr, false, nr_wake, nr_requeue, a.val, [a.flags, b.flags]);
  } finally {
    t.frames.pop();
  }
}
