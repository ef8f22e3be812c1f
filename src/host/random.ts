// Random programs from the part of the format the host runs exactly: seeded bytes through the
// fuzzers' own decoder (with the event table cut down to host-runnable kinds), after a fixed
// prelude (two threads and a process with robust list heads, anonymous and file regions). The
// decoded events are pointed at those names (tasks that exist, regions that are mapped, the
// first 16 bytes of a page, expected values mostly 0), so most events run and meet each other;
// `@k` stops are dropped. At the end every wait gets a wake, every robust lock an unlock and
// every PI lock (and requeue-PI wait) an unlock by its locker.
import { decode } from "../program/codec.js";
import { parse } from "../program/text.js";
import { EVENT_KINDS, argValues, isAddr, isValue, makeEvent, type Arg } from "../program/events.js";
import type { Addr, Event, EventOf, Program } from "../program/types.js";
import { randomBytes, xorshift } from "../fuzzing/generative.js";

/**
 * The kinds added with futex2/waitv and timeouts/restarts/clear_child_tid: the conformance
 * programs diff them (kernel-diff corpus), the random stream does not yet. With them in, random
 * host programs ran at 0.7-8 programs/s instead of ~40 (host runs of waits nobody wakes within
 * the program wait out the runner's timeouts) and a host run timed out. The PI kinds and
 * FUTEX_WAKE_OP are in (about 40 programs/s): the two PI programs that differed are host limits
 * kernel-diff now skips with the reason (diverge.ts, docs/host-rules.md).
 */
const NOT_YET_RANDOM = [
  "futex2_wait", "futex2_wake", "futex2_requeue", "waitv_entry", "futex_waitv",
  "futex_wait_timeout", "timeout", "sigaction", "sigstop", "spawn_cleartid", "set_tid_address",
];
/**
 * Kinds with no exact host meaning (see plan.ts), and the CLONE_VM clones: most random events
 * of their children are ones the runner's raw-syscall child cannot serve (plan.ts), and a vfork
 * parent left blocked makes the rest of a random program skip; the conformance programs cover them.
 */
const HOST_LESS = new Set(["step", "run", "irq", "fail_alloc", "clone_vm", "vfork", ...NOT_YET_RANDOM]);
export const HOST_KINDS = EVENT_KINDS.filter((k) => !HOST_LESS.has(k.name));

const PRELUDE = parse(`t0 mmap m0 anon
t0 mmap m1 file f0
t0 mmap m2 anon
t0 robust_init m2+0
t0 spawn t1
t1 robust_init m2+64
t0 fork t2
t2 robust_init m2+128
`).events;

/** The event with its names pointed at the ones the program has made so far. */
function aim(ev: Event, tasks: number[], regions: number[]): Event {
  const task = (n: number): number => tasks[n % tasks.length]!;
  const creates = ev.op === "spawn" || ev.op === "fork" || ev.op === "spawn_cleartid" || ev.op === "clone_vm" || ev.op === "vfork";
  // a new task is made by one that exists
  const by = creates ? task(ev.task ?? 0) : ev.task === undefined ? undefined : task(ev.task);
  const values = argValues(ev).map((a, i): Arg => {
    if (isAddr(a)) {
      const off = a.off % 16; // misaligned only within the first word: -EINVAL stays reachable
      return { region: regions[a.region % regions.length]!, off: off < 4 ? off : off & ~3 };
    }
    if (isValue(a) && a.tid !== undefined) return { tid: task(a.tid), bits: a.bits };
    // a wait's or cmp_requeue's expected value: small plain values become 0, what most words
    // hold, so that waits sleep and wakes find them (the dictionary's TIDs and flags stay)
    if (isValue(a) && a.bits < 4 && (ev.op === "futex_wait" || ev.op === "futex_wait_timeout" || ev.op === "futex_cmp_requeue" || ev.op === "futex2_wait" || ev.op === "waitv_entry" || ev.op === "futex_wait_requeue_pi" || ev.op === "futex_cmp_requeue_pi")) return { bits: 0 };
    // FUTEX_CMP_REQUEUE_PI takes nr_wake 1 only (anything else is -EINVAL at once)
    if (i === 2 && ev.op === "futex_cmp_requeue_pi") return 1;
    if (i === 0 && typeof a === "number" && ev.op === "get_robust_list") return task(a);
    // FUTEX_ROBUST_UNLOCK is v7.2: a program with it is host-less (plan.ts), so unlock plainly
    if (ev.op === "futex_unlock_pi" && a === true && i === 2) return false;
    return a;
  });
  return makeEvent(ev.op, values, by);
}

/**
 * A FUTEX_UNLOCK_PI goes to the task that last PI-locked that word, if any (most random unlocks
 * would otherwise be -EPERM, not the owner); `lockers` follows the PI locks seen so far.
 */
function piUnlockByLocker(ev: Event, lockers: Map<string, number>): Event {
  const key = (a: Addr): string => `${a.region}+${a.off}`;
  if (ev.op === "futex_lock_pi" || ev.op === "futex_trylock_pi") lockers.set(key(ev.args.addr), ev.task ?? 0);
  if (ev.op === "futex_wait_requeue_pi") lockers.set(key(ev.args.addr2), ev.task ?? 0);
  if (ev.op !== "futex_unlock_pi") return ev;
  const owner = lockers.get(key(ev.args.addr));
  return owner === undefined ? ev : { ...ev, task: owner };
}

/** The i-th program of a seeded stream: a pure function of (seed, i, cpus). */
export function randomHostProgram(seed: number, i: number, cpus: number): Program {
  const r = xorshift((seed * 0x9e3779b1 + i * 0x85ebca6b + 1) >>> 0);
  const decoded = decode(randomBytes(r, 8 + (r() % 56)), HOST_KINDS).events;
  const tasks = [0, 1, 2];
  const regions = [0, 1, 2];
  const events: Event[] = [...PRELUDE];
  const lockers = new Map<string, number>();
  for (const raw of decoded) {
    const ev = aim(raw, tasks, regions); // `@k` stops are dropped
    if ((ev.op === "spawn" || ev.op === "fork" || ev.op === "spawn_cleartid" || ev.op === "clone_vm" || ev.op === "vfork") && !tasks.includes(ev.args.child)) tasks.push(ev.args.child);
    if (ev.op === "mmap" && !regions.includes(ev.args.region)) regions.push(ev.args.region);
    events.push(piUnlockByLocker(ev, lockers));
  }
  // close what the events opened, so sleepers meet their wakers: every wait gets a wake of the
  // same word by the next task, every robust lock an unlock by its owner
  const closing: Event[] = [];
  const entries = new Map<number, EventOf<"waitv_entry">[]>();
  for (const ev of events.slice(PRELUDE.length)) {
    const t = ev.task ?? 0;
    const next = tasks[(tasks.indexOf(t) + 1) % tasks.length]!;
    if (ev.op === "waitv_entry") entries.set(t, [...(entries.get(t) ?? []), ev]);
    const wakeOf = (w: EventOf<"futex2_wait" | "waitv_entry">): Event => ({ op: "futex2_wake", task: next, args: { addr: w.args.addr, nr_wake: 1, size: w.args.size, private: w.args.private, numa: w.args.numa } });
    if (ev.op === "futex2_wait") closing.push(wakeOf(ev));
    if (ev.op === "futex_waitv" || ev.op === "futex2_requeue") {
      const first = entries.get(t)?.[ev.op === "futex2_requeue" ? 1 : 0];
      if (first) closing.push(wakeOf(first));
      entries.delete(t);
    }
    if (ev.op === "futex_wait" || ev.op === "futex_wait_timeout") closing.push({ op: "futex_wake", task: tasks[(tasks.indexOf(t) + 1) % tasks.length]!, args: { addr: ev.args.addr, nr_wake: 1, shared: ev.args.shared } });
    if (ev.op === "robust_lock") closing.push({ op: "robust_unlock", task: t, args: { addr: ev.args.addr } });
    // every PI lock an unlock by its locker: the first hands the futex to a blocked locker
    if (ev.op === "futex_lock_pi" || ev.op === "futex_trylock_pi") closing.push({ op: "futex_unlock_pi", task: t, args: { addr: ev.args.addr, shared: ev.args.shared, robust: false } });
    if (ev.op === "futex_wait_requeue_pi") closing.push({ op: "futex_unlock_pi", task: t, args: { addr: ev.args.addr2, shared: ev.args.shared, robust: false } });
  }
  return { cpus, events: [...events, ...closing] };
}
