// Tasks and thread groups (task_struct / signal_struct, the parts futex code touches).
import type { Mm } from "./mm.js";
import type { LockOwner, KGen, Wait } from "./sched.js";
import type { RcuReader } from "./rcu.js";

export type TaskState =
  /** in user space, ready for its next event */
  | "user"
  /** inside an event (a syscall, a user instruction sequence or the exit path) */
  | "busy"
  | "exited";

export class ThreadGroup {
  readonly tasks = new Set<Task>();
  /** SIGKILL delivered to the group: every thread exits at its next return to user space */
  killed = false;
  constructor(readonly tgid: number) {}
}

/** Robust-list registration (set_robust_list); filled in by futex/robust. */
export interface RobustHead {
  head: number;
  len: number;
}

export class Task implements LockOwner, RcuReader {
  state: TaskState = "user";
  /** the running event's code */
  gen: KGen<number | null> | null = null;
  /** set while blocked; the scheduler resumes the task once wait.ready() holds */
  wait: Wait | null = null;
  frames: string[] = [];
  preemptCount = 0;
  rcuDepth = 0;
  rcuExits = 0;
  /** pending caught signal (SIGUSR1, handler without SA_RESTART) */
  sigusr1 = false;
  /** index in Verdict.syscalls of the event in flight, -1 for none */
  inFlight = -1;
  /** preemption points spent in the event in flight */
  pointsInEvent = 0;
  robust: RobustHead | null = null;
  /** the exit path has started (do_exit) */
  exiting = false;
  exitCode = 0;

  constructor(
    /** program name tN */
    readonly id: number,
    readonly tid: number,
    public group: ThreadGroup,
    public mm: Mm | null,
    public cpu: number,
  ) {}

  get name(): string {
    return `t${this.id}`;
  }

  /** a fatal signal is pending for this task */
  get fatalPending(): boolean {
    return this.group.killed;
  }

  signalPending(): boolean {
    return this.group.killed || this.sigusr1;
  }
}

/** Deterministic TIDs: tN has TID 1000 + N. */
export function tidOf(id: number): number {
  return 1000 + id;
}
