// What of a program the host kernel can run, and the runner's input for it. The host has no
// preemption points: an event runs to its return or until its task sleeps. So `@k` stops,
// `step`, `run`, `irq` and `fail_alloc` have no exact host meaning, with one exception: `@0`
// (started, nothing run yet) followed by `run tN` with nothing else on tN in between is the
// same as issuing the call at the `run` (nothing observable happened before its first point).
import { regionAddress } from "../kernel/memory.js";
import { FUTEX_TID_MASK, type Addr, type Event, type Program, type Value } from "../program/types.js";
import { argValues, isAddr } from "../program/events.js";
import { futex_op_encode, WAKE_CMPS, WAKE_OPS } from "../kernel/futex/wake_op.js";
import { futex2Flags } from "../kernel/futex/numa.js";

/** A program the host can run: the runner's stdin and the user words to read back. */
export interface HostPlan {
  input: string;
  words: number[];
  /** events moved to a later position (an `@0` completed by `run`): index -> new position */
  moved: Map<number, number>;
}

/** native/futex-runner.c: MAXE events, MAXW words read back, MAXT * 4 + 1 address spaces */
const RUNNER_MAX_EVENTS = 1024;
const RUNNER_MAX_WORDS = 512;
const RUNNER_MAX_MMS = 16 * 4 + 1;

export type PlanResult = { plan: HostPlan } | { skip: string };

const NOT_ON_HOST: Record<string, string> = {
  step: "`step` runs preemption points, which the host does not expose",
  irq: "`irq` interrupts user mode at an instruction, which the host cannot aim at",
  fail_alloc: "`fail_alloc` needs fault injection the host does not offer per allocation",
};

function addrOf(a: Addr): number {
  return regionAddress(a.region) + a.off;
}

function val(v: Value): string {
  return `${v.tid ?? -1} ${v.bits >>> 0}`;
}

/** futex_wait_timeout's clock, as the runner numbers it */
const CLOCKS = ["rel", "abs", "abs_realtime", "rel_realtime", "bad_nsec"];

/**
 * The host has a clock: a timed wait's timeout is real. One the program times out (`timeout tN`
 * before tN's next call) gets TIMEOUT_MS, which the events in between must not outlast (a few
 * settles, each well under a millisecond; a hash resize's may take tens); one it never times out
 * gets an hour, which no run reaches (the runner gives up after 60 s).
 */
export const TIMEOUT_MS = 250;
const NEVER_MS = 3_600_000;

function timeoutMs(p: Program, i: number): number {
  const t = p.events[i]!.task;
  for (let j = i + 1; j < p.events.length; j++) {
    const e = p.events[j]!;
    if (e.task !== t) continue;
    if (e.op === "timeout") return TIMEOUT_MS;
    if (e.op !== "run" && e.op !== "signal" && e.op !== "sigstop" && e.op !== "cpu") return NEVER_MS;
  }
  return NEVER_MS;
}

/** The runner's argument list for one event (see native/futex-runner.c). */
function args(ev: Event, p: Program, i: number): string {
  const flag = (x: boolean): string => (x ? "1" : "0");
  switch (ev.op) {
    case "mmap": {
      const { region, map } = ev.args;
      return `${region} ${map.anon ? -1 : map.file}`;
    }
    case "munmap":
      return `${ev.args.region}`;
    case "store":
      return `${addrOf(ev.args.addr)} ${val(ev.args.value)}`;
    case "futex_wait":
      return `${addrOf(ev.args.addr)} ${val(ev.args.value)} ${flag(ev.args.shared)}`;
    case "futex_wait_timeout":
      return `${addrOf(ev.args.addr)} ${val(ev.args.value)} ${CLOCKS.indexOf(ev.args.clock)} ${flag(ev.args.shared)} ${timeoutMs(p, i)}`;
    case "sigaction":
      return flag(ev.args.restart);
    case "futex_wake":
      return `${addrOf(ev.args.addr)} ${ev.args.nr_wake} ${flag(ev.args.shared)}`;
    case "futex_requeue": {
      const a = ev.args;
      return `${addrOf(a.addr)} ${addrOf(a.addr2)} ${a.nr_wake} ${a.nr_requeue} ${flag(a.shared)}`;
    }
    case "futex_cmp_requeue": {
      const a = ev.args;
      return `${addrOf(a.addr)} ${addrOf(a.addr2)} ${a.nr_wake} ${a.nr_requeue} ${val(a.value)} ${flag(a.shared)}`;
    }
    case "futex_lock_pi":
    case "futex_trylock_pi":
      return `${addrOf(ev.args.addr)} ${flag(ev.args.shared)}`;
    case "futex_unlock_pi":
      return `${addrOf(ev.args.addr)} ${flag(ev.args.shared)} ${flag(ev.args.robust)}`;
    case "futex_wait_requeue_pi": {
      const a = ev.args;
      return `${addrOf(a.addr)} ${val(a.value)} ${addrOf(a.addr2)} ${flag(a.shared)}`;
    }
    case "futex_cmp_requeue_pi": {
      const a = ev.args;
      return `${addrOf(a.addr)} ${addrOf(a.addr2)} ${a.nr_wake} ${a.nr_requeue} ${val(a.value)} ${flag(a.shared)}`;
    }
    case "set_robust_list":
      return `${addrOf(ev.args.head)} ${ev.args.len}`;
    case "futex_wake_op": {
      const a = ev.args;
      const op = futex_op_encode(WAKE_OPS.indexOf(a.op), a.shl, a.oparg, WAKE_CMPS.indexOf(a.cmp), a.cmparg);
      return `${addrOf(a.addr)} ${addrOf(a.addr2)} ${a.nr_wake} ${a.nr_wake2} ${op} ${flag(a.shared)}`;
    }
    case "futex2_wait":
    case "waitv_entry": {
      const a = ev.args;
      return `${addrOf(a.addr)} ${val(a.value)} ${futex2Flags(a.size, a.private, a.numa)}`;
    }
    case "futex2_wake": {
      const a = ev.args;
      return `${addrOf(a.addr)} ${a.nr_wake} ${futex2Flags(a.size, a.private, a.numa)}`;
    }
    case "exec":
      return flag(ev.args.fail);
    case "signal":
      return ev.args.sig === "kill" ? "0" : "1";
    default:
      return argValues(ev)
        .map((x) => (isAddr(x) ? String(addrOf(x)) : typeof x === "number" ? String(x) : ""))
        .join(" ")
        .trim();
  }
}

/** The user words an event names (a robust mutex: its word and node; a head: its three words). */
function touched(ev: Event): number[] {
  const out: number[] = [];
  for (const x of argValues(ev)) if (isAddr(x)) out.push(addrOf(x) & ~3);
  if (!out.length) return out;
  const base = out[0]!;
  if (ev.op === "robust_lock" || ev.op === "robust_unlock" || ev.op === "robust_pending" || ev.op === "robust_unlock_legacy") out.push(base + 4);
  if (ev.op === "robust_init" || ev.op === "set_robust_list") out.push(base + 4, base + 8);
  // a FUTEX2_NUMA futex's node word, which the kernel may write
  if ((ev.op === "futex2_wait" || ev.op === "futex2_wake" || ev.op === "waitv_entry") && ev.args.numa) out.push(base + 4);
  return out.filter((w) => (w & 0xfff) <= 0xffc);
}

/**
 * Where each `@0` event runs on the host: at the first later `run` of its task, when nothing else
 * names that task before it. Anything else with a stop is not host-runnable.
 */
function placeStops(p: Program): Map<number, number> | string {
  const moved = new Map<number, number>();
  p.events.forEach((ev, i) => {
    if (ev.stop === undefined) return;
    if (ev.stop !== 0) return;
    for (let j = i + 1; j < p.events.length; j++) {
      const e = p.events[j]!;
      if (e.task !== ev.task && !(e.op === "get_robust_list" && e.args.pid === ev.task)) continue;
      if (e.op === "run") moved.set(i, j);
      return;
    }
  });
  for (const [i, ev] of p.events.entries()) {
    if (ev.stop !== undefined && !moved.has(i)) return `'@${ev.stop}' stops a call after ${ev.stop} preemption points, which the host does not expose`;
  }
  return moved;
}

const PI_LOCKERS = new Set(["futex_lock_pi", "futex_trylock_pi", "futex_cmp_requeue_pi"]);

/**
 * Why kernel-diff cannot compare a program that the runner can run (a C reproducer for a v7.2
 * kernel still can): null when it can. FUTEX_ROBUST_UNLOCK is v7.2 only; and a PI lock of a word
 * holding TID 1 meets the runner's controller, pid 1 of its pid namespace, where the simulator
 * has no such task.
 */
export function hostKernelLacks(p: Program): string | null {
  const pid1 = new Set<number>();
  for (const ev of p.events) {
    if (ev.op === "futex_unlock_pi" && ev.args.robust) return "`futex_unlock_pi robust`: FUTEX_ROBUST_UNLOCK is v7.2; the host kernel (6.18) has no such flag";
    if (ev.op === "store" && ev.args.value.tid === undefined && (ev.args.value.bits & FUTEX_TID_MASK) === 1) pid1.add(addrOf(ev.args.addr) & ~3);
    if (PI_LOCKERS.has(ev.op) && argValues(ev).some((a) => isAddr(a) && pid1.has(addrOf(a) & ~3)))
      return `a PI lock of a word holding TID 1: on the host that is the runner's controller (pid 1 of its namespace)`;
  }
  return null;
}

/**
 * What a task made by `clone_vm` or `vfork` can run on the host until it execs: the runner's
 * child shares its parent's TLS (no CLONE_SETTLS), so it serves raw syscalls only.
 */
const VM_CHILD_OPS = new Set(["load", "store", "futex_wait", "futex_wake", "hash_set_slots", "hash_get_slots", "exit", "exec", "run", "cpu", "signal", "sigstop"]);

function vmChildOp(p: Program): string | null {
  const vmChildren = new Set<number>();
  for (const ev of p.events) {
    if (ev.op === "clone_vm" || ev.op === "vfork") vmChildren.add(ev.args.child);
    else if (ev.task !== undefined && vmChildren.has(ev.task)) {
      if (!VM_CHILD_OPS.has(ev.op)) return `'${ev.op}' by t${ev.task}, a process on its parent's mm, which the runner serves with raw syscalls only (shared TLS)`;
      if (ev.op === "exec" && !ev.args.fail) vmChildren.delete(ev.task);
    }
  }
  return null;
}

export function planHost(p: Program, hostCpus: number): PlanResult {
  // auto-scaling sizes the hash roundup_pow_of_two(4 * min(threads, online CPUs)), at least 16:
  // 16 whatever the thread count while both CPU counts are at most 4
  if (p.cpus !== hostCpus && (p.cpus > 4 || hostCpus > 4))
    return { skip: `config cpus=${p.cpus}, the host has ${hostCpus} online CPUs (hash auto-scaling depends on it)` };
  if (p.nodes !== undefined && p.nodes !== 1) return { skip: `config nodes=${p.nodes}, the host has one NUMA node` };
  for (const ev of p.events) {
    const why = NOT_ON_HOST[ev.op];
    if (why) return { skip: why };
  }
  const vm = vmChildOp(p);
  if (vm) return { skip: vm };
  // the runner's fixed tables (native/futex-runner.c MAXE, and one slot per address space:
  // MAXT * 4 + 1, the first process included)
  if (p.events.length > RUNNER_MAX_EVENTS) return { skip: `${p.events.length} events, the runner takes at most ${RUNNER_MAX_EVENTS}` };
  const newMms = p.events.filter((ev) => ev.op === "fork" || (ev.op === "exec" && !ev.args.fail)).length;
  if (newMms > RUNNER_MAX_MMS - 1) return { skip: `${newMms} forks and execs, the runner tracks at most ${RUNNER_MAX_MMS} address spaces` };
  const moved = placeStops(p);
  if (typeof moved === "string") return { skip: moved };
  const at = new Map<number, number>();
  for (const [i, j] of moved) at.set(j, i);
  const lines = [`cpus ${p.cpus}`];
  const words = new Set<number>();
  p.events.forEach((ev, i) => {
    for (const w of touched(ev)) words.add(w);
    if (moved.has(i)) return;
    if (ev.op === "run") {
      const from = at.get(i);
      if (from === undefined) {
        lines.push(`e ${i} 0 ${ev.task ?? 0} run`); // let its call in flight finish, if it can
        return;
      }
      const e = p.events[from]!;
      lines.push(`e ${from} 1 ${e.task ?? 0} ${e.op} ${args(e, p, from)}`.trimEnd());
      return;
    }
    lines.push(`e ${i} 0 ${ev.task ?? 0} ${ev.op} ${args(ev, p, i)}`.trimEnd());
  });
  const sorted = [...words].sort((a, b) => a - b);
  if (sorted.length > RUNNER_MAX_WORDS) return { skip: `${sorted.length} user words to read back, the runner takes at most ${RUNNER_MAX_WORDS}` };
  lines.splice(1, 0, `words ${sorted.join(" ")}`);
  return { plan: { input: lines.join("\n") + "\n", words: sorted, moved } };
}
