// The one typed registry of event kinds. Parsing, printing, the byte codec, the minimizer, the
// arbitraries and the reference model all read it, and the kernel's syscall map and the
// executor's control table are keyed by its names: adding an event kind is adding a row here
// (then the compiler asks for its implementation).
//
// Each argument has a name (the key of `Event.args`), a type, and for names a role: an argument
// that `creates` a task or region brings it into existence (spawn t1, mmap m0), one that `uses`
// it refers to an existing one (get_robust_list t1, munmap m0). Row order is the byte codec's
// kind numbering: new kinds are appended.
import { FUTEX_OWNER_DIED, FUTEX_WAITERS, type Addr, type Mapping, type Value } from "./types.js";

export const LIMITS = {
  cpus: 8,
  nodes: 4,
  tasks: 16,
  regions: 16,
  files: 8,
  stop: 1000,
  step: 1000,
  /** decode never produces more events than this */
  decodeEvents: 256,
} as const;

/**
 * The one dictionary of u32 values for `value` arguments: the byte codec's value codes (0..3
 * small, 4..7 a TID with `tidBits`, 8..10 `constants`), the minimizer's shrink targets and the
 * arbitraries' picks.
 */
export const VALUES = {
  small: [0, 1, 2, 3],
  tidBits: [0, FUTEX_WAITERS, FUTEX_OWNER_DIED, (FUTEX_WAITERS | FUTEX_OWNER_DIED) >>> 0],
  constants: [FUTEX_WAITERS, FUTEX_OWNER_DIED, 0xffffffff],
} as const;

/** Plain (non-TID) values worth trying first: the small ones and the constants. */
export const VALUE_DICT: readonly number[] = [...VALUES.small, ...VALUES.constants];

export type Role = "creates" | "uses";

export type ArgKind =
  | { name: string; k: "task"; role: Role }
  | { name: string; k: "region"; role: Role }
  | { name: string; k: "addr" }
  | { name: string; k: "value" }
  | { name: string; k: "mapping" }
  | { name: string; k: "int"; min: number; max: number; dict: readonly number[] }
  | { name: string; k: "enum"; values: readonly string[] }
  | { name: string; k: "flag"; word: string };

export type Group = "memory" | "task" | "futex" | "hash" | "robust" | "sched" | "pi";

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
  /** which group a kind belongs to (corpus stats) */
  group: Group;
  /** machine steering that is often noise: the minimizer tries dropping all such events at once */
  noise?: boolean;
  doc: string;
}

const task = <N extends string, R extends Role>(name: N, role: R) => ({ name, k: "task", role }) as const;
const addr = <N extends string>(name: N) => ({ name, k: "addr" }) as const;
const value = { name: "value", k: "value" } as const;
const shared = { name: "shared", k: "flag", word: "shared" } as const;
const count = <N extends string>(name: N) => ({ name, k: "int", min: 0, max: 0x7fffffff, dict: [1, 0, 2, 3, 0x7fffffff] }) as const;
const signal = { name: "sig", k: "enum", values: ["kill", "usr1"] } as const;
const priv = { name: "private", k: "flag", word: "private" } as const;
const numa = { name: "numa", k: "flag", word: "numa" } as const;
/** FUTEX2_SIZE_U8..U64; only u32 is implemented (the others: -EINVAL) */
const size = { name: "size", k: "enum", values: ["u32", "u8", "u16", "u64"] } as const;
/** FUTEX_OP_SET..XOR, then the encodings the kernel rejects (-ENOSYS) */
const wakeOp = { name: "op", k: "enum", values: ["set", "add", "or", "andn", "xor", "op5", "op6", "op7"] } as const;
/** FUTEX_OP_CMP_EQ..GE, then a rejected encoding (-ENOSYS, after the op has been applied) */
const wakeCmp = { name: "cmp", k: "enum", values: ["eq", "ne", "lt", "le", "gt", "ge", "cmp6"] } as const;
const opArg = <N extends string>(name: N) => ({ name, k: "int", min: 0, max: 0xfff, dict: [0, 1, 2, 31, 0xfff] }) as const;

export const EVENT_KINDS = [
  { name: "mmap", form: "syscall", args: [{ name: "region", k: "region", role: "creates" }, { name: "map", k: "mapping" }], group: "memory", doc: "map an anonymous page or page 0 of a file as region mN (MAP_FIXED: replaces a mapping)" },
  { name: "munmap", form: "syscall", args: [{ name: "region", k: "region", role: "uses" }], group: "memory", doc: "unmap region mN" },
  { name: "store", form: "syscall", args: [addr("addr"), value], group: "memory", doc: "user store of a u32" },
  { name: "load", form: "syscall", args: [addr("addr")], group: "memory", doc: "user load of a u32 (returns the word)" },
  { name: "spawn", form: "syscall", args: [task("child", "creates")], group: "task", doc: "clone a thread (same mm); may auto-scale the private hash" },
  { name: "fork", form: "syscall", args: [task("child", "creates")], group: "task", doc: "new process with a copy of the mm" },
  { name: "futex_wait", form: "syscall", args: [addr("addr"), value, shared], group: "futex", doc: "FUTEX_WAIT(_PRIVATE) expecting a value" },
  { name: "futex_wake", form: "syscall", args: [addr("addr"), count("nr_wake"), shared], group: "futex", doc: "FUTEX_WAKE(_PRIVATE) up to nr waiters" },
  { name: "futex_requeue", form: "syscall", args: [addr("addr"), addr("addr2"), count("nr_wake"), count("nr_requeue"), shared], group: "futex", doc: "FUTEX_REQUEUE" },
  { name: "futex_cmp_requeue", form: "syscall", args: [addr("addr"), addr("addr2"), count("nr_wake"), count("nr_requeue"), value, shared], group: "futex", doc: "FUTEX_CMP_REQUEUE (-EAGAIN when the word differs)" },
  {
    name: "hash_set_slots", form: "syscall", group: "hash", doc: "prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, n)",
    args: [{ name: "slots", k: "int", min: 0, max: 0xffffffff, dict: [0, 2, 4, 16, 32, 64, 8, 1, 3, 15, 128, 1 << 29] }],
  },
  { name: "hash_get_slots", form: "syscall", args: [], group: "hash", doc: "prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS)" },
  { name: "robust_init", form: "syscall", args: [addr("head")], group: "robust", doc: "set_robust_list with the head at an address" },
  { name: "robust_lock", form: "syscall", args: [addr("addr")], group: "robust", doc: "user-space lock of a robust mutex word (+ list add)" },
  { name: "robust_unlock", form: "syscall", args: [addr("addr")], group: "robust", doc: "the robust unlock sequence (op_pending, list del, cmpxchg, clear)" },
  { name: "exec", form: "syscall", args: [{ name: "fail", k: "flag", word: "fail" }], group: "task", doc: "execve: new mm (or, with fail, an exec that fails after mm_alloc)" },
  { name: "exit", form: "syscall", args: [], group: "task", doc: "exit this thread" },
  { name: "step", form: "control", taskOperand: true, args: [{ name: "points", k: "int", min: 1, max: 1000, dict: [1, 2, 3, 4, 5, 8, 16] }], group: "sched", doc: "run a task k more preemption points" },
  { name: "run", form: "control", taskOperand: true, args: [], group: "sched", doc: "run a task until it returns to user space or blocks" },
  { name: "cpu", form: "control", taskOperand: true, noise: true, args: [{ name: "cpu", k: "int", min: 0, max: LIMITS.cpus - 1, dict: [1, 0, 2, 3] }], group: "sched", doc: "migrate a task to a CPU" },
  { name: "irq", form: "control", taskOperand: true, args: [{ name: "insn", k: "int", min: 1, max: 5, dict: [3, 1, 2, 4, 5] }, signal], group: "robust", doc: "interrupt a robust unlock after user instruction k with a signal pending" },
  { name: "signal", form: "control", taskOperand: true, args: [signal], group: "task", doc: "send a signal (kill: SIGKILL to the thread group; usr1: caught, no SA_RESTART)" },
  { name: "gp", form: "control", noise: true, args: [], group: "sched", doc: "try to complete one RCU grace period and run due callbacks" },
  { name: "fail_alloc", form: "control", noise: true, args: [{ name: "nth", k: "int", min: 1, max: 100, dict: [1, 2, 3, 4] }], group: "sched", doc: "fault injection: the nth allocation from now fails" },
  // robust futexes (appended: the byte codes of the kinds above stay stable)
  { name: "get_robust_list", form: "syscall", args: [task("pid", "uses")], group: "robust", doc: "get_robust_list(pid of tN): the registered head address (0: none), -ESRCH" },
  {
    name: "set_robust_list", form: "syscall", group: "robust", doc: "raw set_robust_list(head, len), head not initialized (len != 12 -> -EINVAL)",
    args: [addr("head"), { name: "len", k: "int", min: 0, max: 0xffff, dict: [12, 24, 0, 11, 13] }],
  },
  { name: "robust_pending", form: "syscall", args: [addr("addr")], group: "robust", doc: "half a robust lock: list_op_pending = mutex, cmpxchg(0 -> TID); never linked, pending never cleared" },
  // FUTEX_WAKE_OP and futex2 (futex_wait/futex_wake/futex_requeue/futex_waitv syscalls, FUTEX2_NUMA)
  {
    name: "futex_wake_op", form: "syscall", group: "futex",
    doc: "FUTEX_WAKE_OP: *addr2 = OP(*addr2, oparg [shl: 1 << oparg]); wake nr_wake on addr, and nr_wake2 on addr2 if CMP(old, cmparg) (oparg, cmparg: 12-bit fields, sign-extended)",
    args: [addr("addr"), addr("addr2"), count("nr_wake"), count("nr_wake2"), wakeOp, opArg("oparg"), { name: "shl", k: "flag", word: "shl" }, wakeCmp, opArg("cmparg"), shared],
  },
  { name: "futex2_wait", form: "syscall", args: [addr("addr"), value, size, priv, numa], group: "futex", doc: "futex_wait(2) (futex2): FUTEX2_SIZE_*, FUTEX2_PRIVATE, FUTEX2_NUMA (node word at addr+4)" },
  { name: "futex2_wake", form: "syscall", args: [addr("addr"), count("nr_wake"), size, priv, numa], group: "futex", doc: "futex_wake(2) (futex2): wake up to nr (0 wakes none)" },
  { name: "waitv_entry", form: "syscall", args: [addr("addr"), value, size, priv, numa], group: "futex", doc: "user space: append a struct futex_waitv {val, uaddr, flags} to this task's array (used by futex_waitv and futex2_requeue)" },
  { name: "futex_waitv", form: "syscall", args: [], group: "futex", doc: "futex_waitv(the task's array, its length): returns the index of a woken entry; the array is then emptied" },
  { name: "futex2_requeue", form: "syscall", args: [count("nr_wake"), count("nr_requeue")], group: "futex", doc: "futex_requeue(2) (futex2) on the first two entries of the task's futex_waitv array (entry 0's val is the CMP value); the array is then emptied" },
  // timeouts and syscall restarts (lifecycle)
  {
    name: "futex_wait_timeout", form: "syscall", group: "futex",
    doc: "a timed wait: rel = FUTEX_WAIT, abs = FUTEX_WAIT_BITSET, abs_realtime = FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME (the expiry passes at `timeout tN`); rel_realtime = FUTEX_WAIT|FUTEX_CLOCK_REALTIME (-ENOSYS); bad_nsec = tv_nsec 1e9 (-EINVAL)",
    args: [addr("addr"), value, { name: "clock", k: "enum", values: ["rel", "abs", "abs_realtime", "rel_realtime", "bad_nsec"] }, shared],
  },
  { name: "timeout", form: "control", taskOperand: true, args: [], group: "futex", doc: "the clock passes the expiry of tN's timed wait: its timer fires (now if started, else when it starts)" },
  { name: "sigaction", form: "syscall", args: [{ name: "restart", k: "flag", word: "restart" }], group: "task", doc: "rt_sigaction(SIGUSR1): a handler, with SA_RESTART when `restart` (shared by the thread group)" },
  { name: "sigstop", form: "control", taskOperand: true, args: [], group: "task", doc: "SIGSTOP then SIGCONT to tN's thread group: interrupted calls restart (no handler runs)" },
  // clear_child_tid (lifecycle)
  { name: "spawn_cleartid", form: "syscall", args: [task("child", "creates"), addr("ctid")], group: "task", doc: "pthread_create's clone: a thread with CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID on the word (its TID is stored there; at exit 0 and a shared FUTEX_WAKE)" },
  { name: "clone_vm", form: "syscall", args: [task("child", "creates")], group: "task", doc: "clone(CLONE_VM) without CLONE_THREAD: a new process on the same mm (allocates the default private hash)" },
  { name: "vfork", form: "syscall", args: [task("child", "creates")], group: "task", doc: "vfork: a new process on the same mm; the parent sleeps until the child execs or exits" },
  { name: "set_tid_address", form: "syscall", args: [addr("tidptr")], group: "task", doc: "set_tid_address(tidptr): clear_child_tid = tidptr; returns the TID" },
  // PI futexes and requeue-PI (appended)
  { name: "futex_lock_pi", form: "syscall", args: [addr("addr"), shared], group: "pi", doc: "FUTEX_LOCK_PI(_PRIVATE): take a PI futex (word = TID), blocking on its rt_mutex" },
  { name: "futex_trylock_pi", form: "syscall", args: [addr("addr"), shared], group: "pi", doc: "FUTEX_TRYLOCK_PI(_PRIVATE): take a PI futex or -EAGAIN (-EWOULDBLOCK)" },
  {
    name: "futex_unlock_pi", form: "syscall", group: "pi", doc: "FUTEX_UNLOCK_PI(_PRIVATE); with robust, | FUTEX_ROBUST_UNLOCK: the robust list's pending op is cleared after the unlock",
    args: [addr("addr"), shared, { name: "robust", k: "flag", word: "robust" }],
  },
  { name: "futex_wait_requeue_pi", form: "syscall", args: [addr("addr"), value, addr("addr2"), shared], group: "pi", doc: "FUTEX_WAIT_REQUEUE_PI: wait on a non-PI word, return owning the PI futex addr2" },
  { name: "futex_cmp_requeue_pi", form: "syscall", args: [addr("addr"), addr("addr2"), count("nr_wake"), count("nr_requeue"), value, shared], group: "pi", doc: "FUTEX_CMP_REQUEUE_PI: take addr2 for the top waiter, queue up to nr_requeue more on its rt_mutex" },
  // glibc's robust unlock without the vDSO (appended)
  {
    name: "robust_unlock_legacy", form: "syscall", args: [addr("addr")], group: "robust",
    doc: "glibc's robust unlock without FUTEX_ROBUST_UNLOCK: op_pending, list del, xchg(lock, 0), FUTEX_WAKE 1 (shared) if it had FUTEX_WAITERS, op_pending = NULL",
  },
] as const satisfies readonly EventKind[];

// ---- types derived from the rows ----

type Row = (typeof EVENT_KINDS)[number];
export type EventName = Row["name"];
export type SyscallName = Extract<Row, { form: "syscall" }>["name"];
export type ControlName = Extract<Row, { form: "control" }>["name"];

/** The TypeScript type of an argument's value. */
type ArgValue<A> = A extends { k: "task" | "region" | "int" }
  ? number
  : A extends { k: "addr" }
    ? Addr
    : A extends { k: "value" }
      ? Value
      : A extends { k: "mapping" }
        ? Mapping
        : A extends { k: "enum"; values: readonly (infer V)[] }
          ? V
          : A extends { k: "flag" }
            ? boolean
            : never;

/** The named arguments of kind N, e.g. `{ addr: Addr; value: Value; shared: boolean }`. */
export type ArgsOf<N extends EventName> = { [A in Extract<Row, { name: N }>["args"][number] as A["name"]]: ArgValue<A> };

/** Any argument value. */
export type Arg = number | Addr | Value | Mapping | string | boolean;

type EventMap = {
  [N in EventName]: {
    /** the event kind, a name from the registry */
    op: N;
    /** the task an event runs on or refers to (tN), when the kind has one */
    task?: number;
    /** the kind's arguments, by name */
    args: ArgsOf<N>;
    /** `@k`: stop after k preemption points (syscall events only) */
    stop?: number;
  };
};

/** An event of kind N. */
export type EventOf<N extends EventName> = EventMap[N];
/** An event of any kind: switch on `op` to get its typed arguments. */
export type Event = EventMap[EventName];

// ---- lookups ----

const ROWS: readonly EventKind[] = EVENT_KINDS;
const BY_NAME = new Map(ROWS.map((k, i) => [k.name, { kind: k, index: i }]));

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

/** The kinds with these names, in registry order (unknown names throw). */
export function kindsNamed(names: readonly EventName[]): EventKind[] {
  for (const n of names) kindOf(n);
  return ROWS.filter((k) => names.some((n) => n === k.name));
}

export function isSyscall(ev: Event): ev is EventOf<SyscallName> {
  return kindOf(ev.op).form === "syscall";
}

// ---- argument values: the positional view generic code uses, and the checked constructors ----

export function isAddr(v: Arg | undefined): v is Addr {
  return typeof v === "object" && "region" in v && typeof v.region === "number" && typeof v.off === "number";
}

export function isValue(v: Arg | undefined): v is Value {
  return typeof v === "object" && "bits" in v && typeof v.bits === "number" && (v.tid === undefined || typeof v.tid === "number");
}

export function isMapping(v: Arg | undefined): v is Mapping {
  return typeof v === "object" && "anon" in v && (v.anon || typeof v.file === "number");
}

/** Does `v` have the type argument `a` takes? */
export function argFits(a: ArgKind, v: Arg | undefined): boolean {
  switch (a.k) {
    case "task":
    case "region":
    case "int":
      return typeof v === "number";
    case "addr":
      return isAddr(v);
    case "value":
      return isValue(v);
    case "mapping":
      return isMapping(v);
    case "enum":
      return typeof v === "string" && a.values.includes(v);
    case "flag":
      return typeof v === "boolean";
  }
}

type Args = Readonly<Record<string, Arg | undefined>>;
interface LooseEvent {
  op: string;
  task?: number;
  args: Args;
  stop?: number;
}

/** `e` is an event of `kind`: every argument the kind names has the kind's type. */
function fitsKind(e: LooseEvent, kind: EventKind): e is Event {
  if (e.op !== kind.name) return false;
  const specs = kind.args;
  for (let i = 0; i < specs.length; i++) if (!argFits(specs[i]!, e.args[specs[i]!.name])) return false;
  return true;
}

/** An event's argument values in the kind's order. */
export function argValues(ev: Event): Arg[] {
  const args: Args = ev.args;
  const specs = kindOf(ev.op).args;
  const out: Arg[] = [];
  for (let i = 0; i < specs.length; i++) {
    const v = args[specs[i]!.name];
    if (v === undefined) throw new Error(`${ev.op}: missing argument ${specs[i]!.name}`);
    out.push(v);
  }
  return out;
}

/**
 * The event of `kind` with arguments `args` (by name), checked: a missing argument or one of the
 * wrong type throws.
 */
export function eventOf(kind: EventKind, args: Args, task?: number, stop?: number): Event {
  const e: LooseEvent = { op: kind.name, args };
  if (task !== undefined) e.task = task;
  if (stop !== undefined) e.stop = stop;
  if (!fitsKind(e, kind)) throw new Error(`${kind.name}: arguments do not fit (${kind.args.map((a) => JSON.stringify(args[a.name])).join(" ")})`);
  return e;
}

/** Build an event from argument values in the kind's order; a value of the wrong type throws. */
export function makeEvent(op: string, values: readonly Arg[], task?: number, stop?: number): Event {
  const kind = kindOf(op);
  const args: Record<string, Arg | undefined> = {};
  kind.args.forEach((a, i) => (args[a.name] = values[i]));
  return eventOf(kind, args, task, stop);
}
