// Tasks and thread groups (task_struct / signal_struct, the parts futex code touches).
import type { Mm } from "./mm.js";
import { Mutex, SpinLock, type LockOwner, type KGen, type Wait } from "./sched.js";
import type { RcuReader } from "./rcu.js";
import type { HrtimerSleeper } from "./futex/timeout.js";
import type { FutexPiState } from "./futex/pi_state.js";

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
  /** the SIGUSR1 handler was installed with SA_RESTART (sighand, shared by the threads) */
  saRestart = false;
  /** current->sighand->siglock */
  readonly siglock = new SpinLock("sighand->siglock");
  constructor(readonly tgid: number) {}
}

/** Robust-list registration (set_robust_list); filled in by futex/robust. */
export interface RobustHead {
  head: number;
  len: number;
}

/**
 * The user registers the kernel looks at when it interrupts user mode (pt_regs): `ip` the address
 * of the next user instruction (0: outside the robust mutex code), `zf` the zero flag (set by the
 * vDSO try_unlock's `lock cmpxchg`), `dx` the pop argument (&head->list_op_pending) it was given.
 */
export interface UserRegs {
  ip: number;
  zf: boolean;
  dx: number;
}

/** The robust mutex operation a task is running in user mode (src/kernel/robust_user.ts). */
export interface RobustUserOp {
  op: "lock" | "unlock" | "pending";
  /** the mutex word */
  lock: number;
  /** the last user instruction completed (unlock: 1..5 as numbered in DESIGN §4) */
  done: number;
  /** inside the kernel (the FUTEX_ROBUST_UNLOCK syscall, or the interrupt return path) */
  inKernel: boolean;
}

/** What a -ERESTART* return re-runs: the syscall in flight, from its start (the executor's event). */
export interface SyscallRestart {
  restart(): KGen<number | null>;
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
  /** pending caught signal (SIGUSR1; its handler has SA_RESTART when group.saRestart) */
  sigusr1 = false;
  /** a group stop (SIGSTOP, then SIGCONT) is pending: no handler runs, interrupted calls restart */
  jobStop = false;
  /** the syscall in flight from its start (the arch restart: ip -= 2, ax = orig_ax) */
  restartSyscall: SyscallRestart | null = null;
  /** current->restart_block's function (set_restart_fn), for -ERESTART_RESTARTBLOCK */
  restartBlock: (() => KGen<number | null>) | null = null;
  /** the armed futex timer of the wait in flight (futex/timeout.ts), if any */
  timer: HrtimerSleeper | null = null;
  /** index in Verdict.syscalls of the event in flight, -1 for none */
  inFlight = -1;
  /** preemption points spent in the event in flight */
  pointsInEvent = 0;
  /** the label of the last preemption point this task yielded (where it is parked when not running) */
  at = "";
  robust: RobustHead | null = null;
  /** user space's own robust_list_head pointer (glibc's THREAD_SELF->robust_head), 0: none */
  userHead = 0;
  /** user registers (see UserRegs) */
  regs: UserRegs = { ip: 0, zf: false, dx: 0 };
  /** rseq's user_irq event: the task entered the kernel from an interrupt of user mode */
  userIrq = false;
  /** the robust mutex operation in flight in user mode, if any */
  ruser: RobustUserOp | null = null;
  /**
   * A wake_up_process() since the last set_current_state(): the next futex sleep ends at once
   * (a spurious wakeup: woken while still queued, as the v4 resize woke its old table's waiters).
   */
  wakeup = false;
  /** tsk->clear_child_tid (CLONE_CHILD_CLEARTID, set_tid_address): 0 for none */
  clear_child_tid = 0;
  /** tsk->vfork_done: the vfork parent's completion, until mm_release completes it */
  vfork_done: { done: boolean } | null = null;
  /** set_current_state() to a sleeping state outside a sleep (prepare_to_wait_event): where, else null */
  stateSetAt: string | null = null;
  /** the exit path has started (do_exit) */
  exiting = false;
  exitCode = 0;
  /** user space's struct futex_waitv array (waitv_entry events), read by futex_waitv / futex2_requeue */
  waitv: { val: number; uaddr: number; flags: number }[] = [];

  // -- PI futexes (futex/pi_state.ts) --
  /** tsk->futex_state: FUTEX_STATE_OK, _EXITING (futex_cleanup_begin), _DEAD (exit done) */
  futexState: "ok" | "exiting" | "dead" = "ok";
  /** tsk->futex_exit_mutex: held across the exit-time futex cleanup (wait_for_owner_exiting) */
  readonly futexExitMutex: Mutex;
  /** tsk->pi_state_list: the pi_states this task owns, oldest first */
  readonly piStateList: FutexPiState[] = [];
  /** tsk->pi_state_cache (refill_pi_state_cache) */
  piStateCache: FutexPiState | null = null;

  constructor(
    /** program name tN */
    readonly id: number,
    /** de_thread gives an exec'ing thread its leader's TID */
    public tid: number,
    public group: ThreadGroup,
    public mm: Mm | null,
    public cpu: number,
  ) {
    this.futexExitMutex = new Mutex(`t${id}->futex_exit_mutex`);
  }

  get name(): string {
    return `t${this.id}`;
  }

  /** a fatal signal is pending for this task */
  get fatalPending(): boolean {
    return this.group.killed;
  }

  signalPending(): boolean {
    return this.group.killed || this.sigusr1 || this.jobStop;
  }
}

/** Deterministic TIDs: tN has TID 1000 + N. */
export function tidOf(id: number): number {
  return 1000 + id;
}
