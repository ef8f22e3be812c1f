// fast-check arbitraries for programs built from the event kinds of the private-hash issue
// (memory, threads and processes, futex wait/wake/requeue, the hash prctl, exec, exit, and the
// scheduler controls), shared by the property test.
import fc from "fast-check";
import { argValues, makeEvent, type Arg } from "../src/program/events.js";
import type { Event, Program } from "../src/program/types.js";

const TASKS = 6;

const task = fc.integer({ min: 0, max: TASKS - 1 });
const region = fc.constantFrom(0, 0, 1, 2);
const addr = fc.record({ region, off: fc.constantFrom(0, 0, 4) });
const value = fc.oneof(
  { arbitrary: fc.constantFrom(0, 0, 0, 1).map((bits) => ({ bits })), weight: 5 },
  { arbitrary: task.map((tid) => ({ tid, bits: 0 })), weight: 1 },
);
const count = fc.constantFrom(0, 1, 2, 3, 0x7fffffff);
const slots = fc.constantFrom(0, 2, 4, 8, 16, 32, 64, 1, 3, 15, 128, 1 << 29, 0x80000000);
const shared = fc.constantFrom(false, false, false, true);
const stop = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: 30 }), weight: 1 },
);

function sys(op: string, args: fc.Arbitrary<Arg[]>, withStop = true): fc.Arbitrary<Event> {
  return fc.record({ task, args, stop: withStop ? stop : fc.constant(undefined) }).map((r) => makeEvent(op, r.args, r.task, r.stop));
}

function ctl(op: string, args: fc.Arbitrary<Arg[]>, withTask: boolean): fc.Arbitrary<Event> {
  return withTask ? fc.record({ task, args }).map((r) => makeEvent(op, r.args, r.task)) : args.map((a) => makeEvent(op, a));
}

export const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { arbitrary: sys("mmap", fc.tuple(region, fc.constantFrom({ anon: true as const }, { anon: false as const, file: 0 })), false), weight: 2 },
  { arbitrary: sys("store", fc.tuple(addr, value), false), weight: 1 },
  { arbitrary: sys("spawn", fc.tuple(task)), weight: 5 },
  { arbitrary: sys("fork", fc.tuple(task)), weight: 1 },
  { arbitrary: sys("futex_wait", fc.tuple(addr, value, shared)), weight: 8 },
  { arbitrary: sys("futex_wake", fc.tuple(addr, count, shared)), weight: 6 },
  { arbitrary: sys("futex_requeue", fc.tuple(addr, addr, count, count, shared)), weight: 2 },
  { arbitrary: sys("futex_cmp_requeue", fc.tuple(addr, addr, count, count, value, shared)), weight: 2 },
  { arbitrary: sys("hash_set_slots", fc.tuple(slots)), weight: 4 },
  { arbitrary: sys("hash_get_slots", fc.constant([])), weight: 1 },
  { arbitrary: sys("exec", fc.tuple(fc.boolean())), weight: 1 },
  { arbitrary: sys("exit", fc.constant([])), weight: 1 },
  { arbitrary: ctl("step", fc.tuple(fc.integer({ min: 1, max: 8 })), true), weight: 3 },
  { arbitrary: ctl("run", fc.constant([]), true), weight: 1 },
  { arbitrary: ctl("cpu", fc.tuple(fc.integer({ min: 0, max: 7 })), true), weight: 2 },
  { arbitrary: ctl("gp", fc.constant([]), false), weight: 3 },
  { arbitrary: ctl("fail_alloc", fc.tuple(fc.integer({ min: 1, max: 4 })), false), weight: 1 },
);

const PRELUDE: Event[] = [
  { op: "mmap", task: 0, args: { region: 0, map: { anon: true } } },
  { op: "mmap", task: 0, args: { region: 1, map: { anon: false, file: 0 } } },
];

/**
 * Make most events meaningful: task operands pick among the tasks named so far (t0 and every
 * spawn/fork target), and spawn/fork name a fresh task. Events may still be skipped at run time
 * (a task that exited, a region lost to exec), as in any program.
 */
function normalize(events: Event[]): Event[] {
  const known = [0];
  /** the process (thread group leader) each named task belongs to */
  const proc = new Map<number, number>([[0, 0]]);
  let next = 1;
  let lastWait: { task: number; args: Arg[] } | null = null;
  const asleep = new Set<number>();
  return events.map((e) => {
    const ev = { op: e.op, task: e.task, args: argValues(e), stop: e.stop };
    const raw = e.task ?? 0;
    if (ev.task !== undefined) {
      ev.task = known[raw % known.length]!;
      // a task that probably sleeps in futex_wait would only have this event skipped
      const awake = known.filter((t) => !asleep.has(t));
      if (asleep.has(ev.task) && awake.length && ev.op !== "step" && ev.op !== "cpu") ev.task = awake[raw % awake.length]!;
    }
    if (ev.op === "futex_wait") {
      // waiters are mostly the newest thread
      if (raw % 2 === 0) ev.task = known[known.length - 1]!;
      lastWait = { task: ev.task!, args: ev.args };
      asleep.add(ev.task!);
    } else if (lastWait && ev.op.startsWith("futex_") && raw % 3 !== 2) {
      // mostly wake, or requeue from, the word the last waiter sleeps on (same key type), from
      // another thread of its process
      ev.args[0] = lastWait.args[0]!;
      ev.args[ev.args.length - 1] = lastWait.args[2]!;
      const p = proc.get(lastWait.task!);
      const mates = known.filter((t) => t !== lastWait!.task && proc.get(t) === p);
      if (mates.length) ev.task = mates[raw % mates.length]!;
      asleep.delete(lastWait.task!);
    }
    if ((ev.op === "spawn" || ev.op === "fork") && next < TASKS) {
      ev.args[0] = next;
      proc.set(next, ev.op === "spawn" ? proc.get(ev.task!)! : next);
      known.push(next++);
    }
    return makeEvent(ev.op, ev.args, ev.task, ev.stop);
  });
}

export const programArb: fc.Arbitrary<Program> = fc.record({
  cpus: fc.constantFrom(1, 2, 2, 4, 8),
  events: fc.array(eventArb, { minLength: 4, maxLength: 30, size: "max" }).map((evs) => [...PRELUDE, ...normalize(evs)]),
});
