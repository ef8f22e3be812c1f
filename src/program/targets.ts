// The fuzz targets' event sets: each jazzer.js target (fuzz/<name>.ts) decodes its bytes with the
// kinds of one set, so the fuzzer spends its inputs on one subsystem. `fuzz/` imports these from
// here; nothing in src/ imports fuzz/.
import { EVENT_KINDS, kindsNamed, type EventKind } from "./events.js";

export const TARGET_EVENTS: Readonly<Record<string, readonly EventKind[]>> = {
  all: EVENT_KINDS,
  "hash-resize": kindsNamed(["mmap", "store", "spawn", "futex_wait", "futex_wake", "futex_requeue", "futex_cmp_requeue", "hash_set_slots", "hash_get_slots", "exit", "step", "run", "cpu", "gp", "fail_alloc", "futex_wait_timeout", "timeout"]),
  "fork-lifecycle": kindsNamed(["mmap", "store", "spawn", "fork", "futex_wait", "futex_wake", "hash_set_slots", "exec", "exit", "signal", "step", "run", "cpu", "gp", "fail_alloc", "spawn_cleartid", "set_tid_address", "clone_vm", "vfork", "sigstop"]),
  "robust-unlock": kindsNamed(["mmap", "munmap", "store", "load", "spawn", "fork", "futex_wait", "futex_wake", "robust_init", "robust_lock", "robust_unlock", "exit", "step", "run", "cpu", "irq", "signal", "gp", "robust_unlock_legacy"]),
  // FUTEX_WAKE_OP, futex2 (sizes, NUMA node words), futex_waitv, across threads and processes
  futex2: kindsNamed([
    "mmap", "munmap", "store", "load", "spawn", "fork", "futex_wait", "futex_wake", "hash_set_slots", "exit", "step", "run", "cpu", "signal", "gp",
    "futex_wake_op", "futex2_wait", "futex2_wake", "waitv_entry", "futex_waitv", "futex2_requeue",
  ]),
  // PI futexes and requeue-PI, with robust lists, exits and signals around them
  pi: kindsNamed([
    "mmap", "store", "load", "spawn", "fork", "futex_wait", "futex_wake", "robust_init", "robust_lock", "robust_unlock", "exec", "exit",
    "futex_lock_pi", "futex_trylock_pi", "futex_unlock_pi", "futex_wait_requeue_pi", "futex_cmp_requeue_pi",
    "hash_set_slots", "step", "run", "cpu", "signal", "gp", "fail_alloc",
  ]),
};

/** The names of the fuzz targets, in TARGET_EVENTS order. */
export const TARGETS = Object.keys(TARGET_EVENTS);

/** The event set of fuzz target `name`; an unknown name throws, listing the known ones. */
export function targetEvents(name: string): readonly EventKind[] {
  const set = TARGET_EVENTS[name];
  if (!set) throw new Error(`unknown target '${name}' (known: ${TARGETS.join(", ")})`);
  return set;
}
