// The reference model's state: processes, thread groups, tasks and waiters, and the TID
// convention it shares with the simulator's contract (DESIGN §4-5); errnos: src/kernel/errno.ts.
import type { Addr, Value } from "../program/types.js";
import type { Key } from "./keys.js";
import type { Space } from "./memory.js";
import { Slots } from "./slots.js";
import type { LockOp } from "./robust.js";
import type { PiOp } from "./pi.js";

/**
 * The biggest SET_SLOTS that can be allocated: kvmalloc refuses more than INT_MAX bytes, and the
 * private hash is a 64-byte header plus 64 bytes (one cache line) per bucket.
 */
export const MAX_SLOTS = Math.floor((0x7fffffff - 64) / 64);

/** tN's TID (the simulator's fixed numbering). */
export const tidOf = (id: number): number => 1000 + id;

export interface ModelSyscall {
  task: number;
  event: string;
  /** the value returned to user space; null when the syscall never returned */
  ret: number | null;
  /** other values the contract allows (scheduling the model does not decide) */
  alt?: (number | null)[];
}

export interface ModelVerdict {
  syscalls: ModelSyscall[];
  /** set when the program is not sequential (the model cannot say what it returns) */
  unsupported?: string;
}

export interface ModelFaults {
  /** test seam: FUTEX_(CMP_)REQUEUE loses the last waiter it requeues (it sleeps forever) */
  requeueDropsLast?: boolean;
}

export interface ModelOptions {
  /** SET_SLOTS sizes above this fail with -ENOMEM (the simulator's allocation limit) */
  maxSlots?: number;
  faults?: ModelFaults;
}

/** A process: one address space, its private-hash size, and a name for its keys. */
export class Proc {
  readonly slots = new Slots();
  constructor(
    readonly id: number,
    public space: Space,
  ) {}
}

export class Group {
  readonly tasks = new Set<MTask>();
  killed = false;
  /** the SIGUSR1 handler has SA_RESTART (`sigaction restart`) */
  saRestart = false;
  /** the leader's TID (a group keeps it when exec's de_thread hands it to another thread) */
  constructor(readonly tgid: number) {}
}

export type TaskState =
  | "user"
  /** asleep in futex_wait (queued) */
  | "waiting"
  /** marked by a waker; returns 0 when it next runs */
  | "woken"
  /** killed in user space; runs its exit path when next scheduled */
  | "exiting"
  /** exec waiting for the other threads to die (de_thread) */
  | "exec"
  /** SET_SLOTS waiting for the old hash to die (needs grace periods) */
  | "slots"
  /** a vfork parent waiting for its child's exec or exit */
  | "vfork"
  | "exited";

export class MTask {
  state: TaskState = "user";
  /** index of the syscall in flight in the verdict, -1 for none */
  entry = -1;
  usr1 = false;
  /** a vfork parent: the child it waits for (null once the child let go of the space) */
  vforkChild: MTask | null = null;
  /** a vfork child: the parent waiting for it */
  vforkParent: MTask | null = null;
  /** clear_child_tid (spawn_cleartid, set_tid_address), null: none */
  clearTid: Addr | null = null;
  /** a group stop (`sigstop`) interrupted its wait */
  stopped = false;
  /** the wait in flight, what a restart re-runs (expiry: a timed wait's, null for an untimed one) */
  wait: { addr: Addr; val: number; shared: boolean; expiry: { passed: boolean } | null } | null = null;
  /** woken, and some scheduling since may or may not have let it return */
  maybeReturned = false;
  /** exec: the threads it killed */
  execOthers: MTask[] = [];
  /** user space's robust list head (robust_init), 0: none */
  userHead = 0;
  /** the head registered with set_robust_list, null: none */
  robustHead: number | null = null;
  /** a robust_lock in progress (asleep or woken in its FUTEX_WAIT) */
  lockOp: LockOp | null = null;
  /**
   * killed by an exec's de_thread: exec goes on once the thread has let go of its mm, so the
   * thread may still be finishing do_exit (still found by get_robust_list) until it runs again
   */
  lingering = false;
  /** a PI lock or requeue-PI wait in flight (asleep or woken) */
  pi: PiOp | null = null;
  /** what a woken futex wait returns: 0, or futex_waitv's largest woken index */
  wokenRet = 0;
  constructor(
    readonly id: number,
    public group: Group,
    public proc: Proc,
  ) {
    this.tid = tidOf(id);
  }
  /** tidOf(id), until a non-leader exec takes its leader's TID (de_thread) */
  tid: number;
}

export interface Waiter {
  task: MTask;
  key: Key;
  /** futex_waitv: the entry's index (the task has one waiter per entry) */
  index?: number;
}

/** A program value: a plain u32, or tN's TID with flag bits. */
export function uval(v: Value): number {
  return ((v.tid === undefined ? 0 : tidOf(v.tid)) | v.bits) >>> 0;
}
