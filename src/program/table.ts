// The one declarative table of event kinds. Parsing, printing, the byte codec, mutation and the
// minimizer all read it: adding an event kind is adding a row here (and its implementation in
// the kernel's syscall table).

export const LIMITS = {
  cpus: 8,
  tasks: 16,
  regions: 16,
  files: 8,
  stop: 1000,
  step: 1000,
  /** decode never produces more events than this */
  decodeEvents: 256,
} as const;

export type ArgKind =
  | { k: "task" }
  | { k: "region" }
  | { k: "addr" }
  | { k: "value" }
  | { k: "mapping" }
  | { k: "int"; name: string; min: number; max: number; dict: readonly number[] }
  | { k: "enum"; values: readonly string[] }
  | { k: "flag"; word: string };

export interface EventKind {
  name: string;
  /**
   * `syscall`: `tN name args [@k]`, runs on task tN (user operations count as syscalls here).
   * `control`: `name args`, steers the scheduler or the machine; its first arg may be a task.
   */
  form: "syscall" | "control";
  /** for control events: the first operand is a task (stored in Event.task) */
  taskOperand?: boolean;
  args: readonly ArgKind[];
  /** which area a kind belongs to (corpus stats, fuzz targets) */
  area: "memory" | "task" | "futex" | "hash" | "robust" | "sched";
  doc: string;
}

const task = { k: "task" } as const;
const region = { k: "region" } as const;
const addr = { k: "addr" } as const;
const value = { k: "value" } as const;
const shared = { k: "flag", word: "shared" } as const;
const count = (name: string): ArgKind => ({
  k: "int",
  name,
  min: 0,
  max: 0x7fffffff,
  dict: [1, 0, 2, 3, 0x7fffffff],
});
const signal = { k: "enum", values: ["kill", "usr1"] } as const;

export const EVENT_KINDS: readonly EventKind[] = [
  { name: "mmap", form: "syscall", args: [region, { k: "mapping" }], area: "memory", doc: "map an anonymous page or page 0 of a file as region mN (MAP_FIXED: replaces a mapping)" },
  { name: "munmap", form: "syscall", args: [region], area: "memory", doc: "unmap region mN" },
  { name: "store", form: "syscall", args: [addr, value], area: "memory", doc: "user store of a u32" },
  { name: "load", form: "syscall", args: [addr], area: "memory", doc: "user load of a u32 (returns the word)" },
  { name: "spawn", form: "syscall", args: [task], area: "task", doc: "clone a thread (same mm); may auto-scale the private hash" },
  { name: "fork", form: "syscall", args: [task], area: "task", doc: "new process with a copy of the mm" },
  { name: "futex_wait", form: "syscall", args: [addr, value, shared], area: "futex", doc: "FUTEX_WAIT(_PRIVATE) expecting a value" },
  { name: "futex_wake", form: "syscall", args: [addr, count("nr_wake"), shared], area: "futex", doc: "FUTEX_WAKE(_PRIVATE) up to nr waiters" },
  { name: "futex_requeue", form: "syscall", args: [addr, addr, count("nr_wake"), count("nr_requeue"), shared], area: "futex", doc: "FUTEX_REQUEUE" },
  { name: "futex_cmp_requeue", form: "syscall", args: [addr, addr, count("nr_wake"), count("nr_requeue"), value, shared], area: "futex", doc: "FUTEX_CMP_REQUEUE (-EAGAIN when the word differs)" },
  {
    name: "hash_set_slots", form: "syscall", area: "hash", doc: "prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, n)",
    args: [{ k: "int", name: "slots", min: 0, max: 0xffffffff, dict: [0, 2, 4, 16, 32, 64, 8, 1, 3, 15, 128, 1 << 29] }],
  },
  { name: "hash_get_slots", form: "syscall", args: [], area: "hash", doc: "prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS)" },
  { name: "robust_init", form: "syscall", args: [addr], area: "robust", doc: "set_robust_list with the head at an address" },
  { name: "robust_lock", form: "syscall", args: [addr], area: "robust", doc: "user-space lock of a robust mutex word (+ list add)" },
  { name: "robust_unlock", form: "syscall", args: [addr], area: "robust", doc: "the robust unlock sequence (op_pending, list del, cmpxchg, clear)" },
  { name: "exec", form: "syscall", args: [{ k: "flag", word: "fail" }], area: "task", doc: "execve: new mm (or, with fail, an exec that fails after mm_alloc)" },
  { name: "exit", form: "syscall", args: [], area: "task", doc: "exit this thread" },
  { name: "step", form: "control", taskOperand: true, args: [{ k: "int", name: "points", min: 1, max: 1000, dict: [1, 2, 3, 4, 5, 8, 16] }], area: "sched", doc: "run a task k more preemption points" },
  { name: "run", form: "control", taskOperand: true, args: [], area: "sched", doc: "run a task until it returns to user space or blocks" },
  { name: "cpu", form: "control", taskOperand: true, args: [{ k: "int", name: "cpu", min: 0, max: LIMITS.cpus - 1, dict: [1, 0, 2, 3] }], area: "sched", doc: "migrate a task to a CPU" },
  { name: "irq", form: "control", taskOperand: true, args: [{ k: "int", name: "insn", min: 1, max: 5, dict: [3, 1, 2, 4, 5] }, signal], area: "robust", doc: "interrupt a robust unlock after user instruction k with a signal pending" },
  { name: "signal", form: "control", taskOperand: true, args: [signal], area: "task", doc: "send a signal (kill: SIGKILL to the thread group; usr1: caught, no SA_RESTART)" },
  { name: "gp", form: "control", args: [], area: "sched", doc: "try to complete one RCU grace period and run due callbacks" },
  { name: "fail_alloc", form: "control", args: [{ k: "int", name: "nth", min: 1, max: 100, dict: [1, 2, 3, 4] }], area: "sched", doc: "fault injection: the nth allocation from now fails" },
  // robust futexes (appended: the byte codes of the kinds above stay stable)
  { name: "get_robust_list", form: "syscall", args: [task], area: "robust", doc: "get_robust_list(pid of tN): the registered head address (0: none), -ESRCH" },
  {
    name: "set_robust_list", form: "syscall", area: "robust", doc: "raw set_robust_list(head, len), head not initialized (len != 12 -> -EINVAL)",
    args: [addr, { k: "int", name: "len", min: 0, max: 0xffff, dict: [12, 24, 0, 11, 13] }],
  },
  { name: "robust_pending", form: "syscall", args: [addr], area: "robust", doc: "half a robust lock: list_op_pending = mutex, cmpxchg(0 -> TID); never linked, pending never cleared" },
];

const BY_NAME = new Map(EVENT_KINDS.map((k, i) => [k.name, { kind: k, index: i }]));

export function kindOf(name: string): EventKind {
  const e = BY_NAME.get(name);
  if (!e) throw new Error(`unknown event kind ${name}`);
  return e.kind;
}

export function kindIndex(name: string): number {
  const e = BY_NAME.get(name);
  if (!e) throw new Error(`unknown event kind ${name}`);
  return e.index;
}

export function hasKind(name: string): boolean {
  return BY_NAME.has(name);
}

/** Value dictionary shared by the codec and the mutator. */
export const VALUE_SMALL = [0, 1, 2, 3] as const;
