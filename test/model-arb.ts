// Sequential programs for the model-based test (test/model.test.ts).
//
// fast-check draws a list of *intents* (what to do, with operands as small indices); `expand`
// turns them into events while stepping the reference model, so operands land on live tasks and
// mapped words, and the program stays sequential: every syscall runs to completion or blocks, no
// `@k`. Shrinking removes and simplifies intents; expansion is deterministic.
//
// Where the executor leaves a choice to scheduling that the program does not pin down, the
// expansion pins it with an extra event (see FOLLOW-UP), and it steers around:
//   DIVERGENCE 1 (found by this test, fixed in the executor since; regression file
//     corpus/conformance/model-dethread-kills-late.fz): a thread group killed by exec's de_thread
//     or by a user-mode fault (SIGSEGV) was not kicked: a sibling sitting in user space still ran
//     its next event. `allow: ["no-kill-follow-up"]` drops the follow-up that steered around it.
//   KNOWN LIMIT (not a bug): requeue into a key that already has sleepers when both keys share a
//     hash bucket keeps the requeued waiters' place in the chain (see the requeue case).
import fc from "fast-check";
import { kindOf, makeEvent, type Arg } from "../src/program/events.js";
import { FUTEX_OWNER_DIED, FUTEX_WAITERS, type Addr, type Event, type Program, type Value } from "../src/program/types.js";
import { Model, Unsupported, type MTask } from "../src/model/reference.js";
import { futexKey } from "../src/model/keys.js";

const INT_MAX = 0x7fffffff;
/** futex words (and robust mutexes: word at off, node at off + 4) */
const WORD_OFFS = [0, 4, 8, 12, 16, 32, 2] as const;
/** robust list heads (12 bytes each) */
const HEAD_OFFS = [64, 80, 96, 112] as const;

export type Intent =
  | { k: "mmap"; who: number; region: number; file: number | null }
  | { k: "munmap"; who: number; region: number }
  | { k: "store"; who: number; addr: number; value: number }
  | { k: "load"; who: number; addr: number }
  | { k: "spawn"; who: number }
  | { k: "fork"; who: number }
  | { k: "wait"; who: number; addr: number; value: number; shared: boolean; aim: boolean }
  | { k: "wake"; who: number; addr: number; nr: number; shared: boolean; aim: boolean }
  | { k: "requeue"; who: number; a1: number; a2: number; nw: number; nr: number; shared: boolean; cmp: number | null; aim: boolean }
  | { k: "set_slots"; who: number; n: number }
  | { k: "get_slots"; who: number }
  | { k: "exec"; who: number; fail: boolean }
  | { k: "exit"; who: number }
  | { k: "signal"; who: number; sig: "usr1" | "kill" }
  | { k: "cpu"; who: number; cpu: number }
  | { k: "gp" }
  | { k: "run"; who: number }
  | { k: "runAll" }
  | { k: "robust_init"; who: number; head: number }
  | { k: "robust_lock"; who: number; addr: number }
  | { k: "robust_unlock"; who: number; addr: number }
  | { k: "robust_pending"; who: number; addr: number }
  | { k: "set_robust_list"; who: number; head: number; len: number }
  | { k: "get_robust_list"; who: number; of: number }
  // FUTEX_WAKE_OP, futex2, futex_waitv; NUMA futexes only on their own word (NUMA_ADDR)
  | { k: "wake_op"; who: number; a1: number; a2: number; nw: number; nw2: number; op: number; oparg: number; shl: boolean; cmp: number; cmparg: number; shared: boolean; aim: boolean }
  | { k: "f2wait"; who: number; addr: number; value: number; priv: boolean; size: number; aim: boolean }
  | { k: "f2wake"; who: number; addr: number; nr: number; priv: boolean; size: number; aim: boolean }
  | { k: "waitv"; who: number; entries: { addr: number; value: number; priv: boolean; size: number }[] }
  | { k: "f2requeue"; who: number; a1: number; a2: number; nw: number; nr: number; priv1: boolean; priv2: boolean; cmp: number; aim: boolean }
  | { k: "numa"; who: number; node: number; wait: boolean; priv: boolean }
  | { k: "twait"; who: number; addr: number; value: number; clock: TimeoutClockArg; shared: boolean }
  | { k: "timeout"; who: number }
  | { k: "sigaction"; who: number; restart: boolean }
  | { k: "sigstop"; who: number }
  | { k: "spawn_ct"; who: number; addr: number }
  | { k: "set_tid"; who: number; addr: number }
  | { k: "join"; who: number }
  | { k: "clonevm"; who: number; vfork: boolean }
  // PI futexes (lock words shared by several threads) and requeue-PI pairs (condvar word -> PI word)
  | { k: "pilock"; who: number; word: number; try: boolean; shared: boolean; aim: boolean }
  | { k: "piunlock"; who: number; word: number; robust: boolean; shared: boolean; owner: boolean; run: boolean }
  | { k: "rqwait"; who: number; cond: number; word: number; value: number; shared: boolean; aim: boolean }
  | { k: "piexit"; who: number; run: boolean }
  | { k: "pirobust"; who: number }
  | { k: "rqcmp"; who: number; cond: number; word: number; nw: number; nr: number; cmp: number; shared: boolean; aim: boolean; run: boolean };

type TimeoutClockArg = "rel" | "abs" | "abs_realtime" | "rel_realtime" | "bad_nsec";

const who = fc.nat({ max: 15 });
/** an address index: region (3) x word offset */
const addr = fc.nat({ max: 3 * WORD_OFFS.length - 1 });
/** value codes: 0..3 small; 4 = the word's current value; 5.. TID-ish; see valueOf */
const value = fc.nat({ max: 9 });
const shared = fc.boolean();
/** futex2 size: mostly u32 (the only one implemented) */
const sizeCode = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 3 }) });
const SIZES = ["u32", "u8", "u16", "u64"] as const;
const OPS = ["set", "add", "or", "andn", "xor", "op5", "op6", "op7"] as const;
const CMPS = ["eq", "ne", "lt", "le", "gt", "ge", "cmp6"] as const;
/** the one NUMA futex word (8-byte aligned; its node word follows), used by nothing else */
const NUMA_ADDR: Addr = { region: 0, off: 1024 };
const NODE_WORDS = [0xffffffff, 0, 1, 0xfffffffe] as const;
/** PI lock words (mostly in m0, shared by threads; m1/m2 may be files shared across fork) */
const PI_WORDS: Addr[] = [
  { region: 0, off: 256 },
  { region: 0, off: 260 },
  { region: 0, off: 256 },
  { region: 1, off: 256 },
  { region: 1, off: 260 },
  { region: 2, off: 256 },
];
/** requeue-PI condvar words */
const COND_WORDS: Addr[] = [
  { region: 0, off: 288 },
  { region: 0, off: 292 },
  { region: 0, off: 288 },
  { region: 1, off: 288 },
  { region: 1, off: 292 },
  { region: 2, off: 288 },
];
/** a PI or condvar word index: 0..5 its own words, 6..7 any word (PI and plain ops meet there) */
const piWord = fc.nat({ max: 7 });

const INTENTS: [number, fc.Arbitrary<Intent>][] = [
  [3, fc.record({ k: fc.constant("mmap" as const), who, region: fc.nat({ max: 2 }), file: fc.option(fc.nat({ max: 1 }), { freq: 2, nil: null }) })],
  [1, fc.record({ k: fc.constant("munmap" as const), who, region: fc.nat({ max: 2 }) })],
  [3, fc.record({ k: fc.constant("store" as const), who, addr, value })],
  [2, fc.record({ k: fc.constant("load" as const), who, addr })],
  [3, fc.record({ k: fc.constant("spawn" as const), who })],
  [1, fc.record({ k: fc.constant("fork" as const), who })],
  [7, fc.record({ k: fc.constant("wait" as const), who, addr, value: fc.oneof({ weight: 4, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: value }), shared, aim: fc.nat({ max: 9 }).map((n) => n < 7) })],
  [5, fc.record({ k: fc.constant("wake" as const), who, addr, nr: fc.constantFrom(1, 1, 0, 2, INT_MAX), shared, aim: fc.boolean() })],
  [
    3,
    fc.record({
      k: fc.constant("requeue" as const),
      who,
      a1: addr,
      a2: addr,
      nw: fc.constantFrom(0, 1, 2),
      nr: fc.constantFrom(0, 1, 2, 3, INT_MAX),
      shared,
      cmp: fc.option(fc.oneof({ weight: 3, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: value }), { freq: 2, nil: null }),
      aim: fc.boolean(),
    }),
  ],
  [1, fc.record({ k: fc.constant("set_slots" as const), who, n: fc.constantFrom(0, 2, 4, 16, 32, 64, 1, 3, 1 << 29, 1 << 24, 1 << 25) })],
  [1, fc.record({ k: fc.constant("get_slots" as const), who })],
  [1, fc.record({ k: fc.constant("exec" as const), who, fail: fc.boolean() })],
  [2, fc.record({ k: fc.constant("exit" as const), who })],
  [1, fc.record({ k: fc.constant("signal" as const), who, sig: fc.constantFrom("usr1" as const, "kill" as const) })],
  [1, fc.record({ k: fc.constant("cpu" as const), who, cpu: fc.nat({ max: 7 }) })],
  [1, fc.record({ k: fc.constant("gp" as const) })],
  [1, fc.record({ k: fc.constant("run" as const), who })],
  [1, fc.record({ k: fc.constant("runAll" as const) })],
  [2, fc.record({ k: fc.constant("robust_init" as const), who, head: fc.nat({ max: HEAD_OFFS.length - 1 }) })],
  [3, fc.record({ k: fc.constant("robust_lock" as const), who, addr })],
  [3, fc.record({ k: fc.constant("robust_unlock" as const), who, addr })],
  [1, fc.record({ k: fc.constant("robust_pending" as const), who, addr })],
  [1, fc.record({ k: fc.constant("set_robust_list" as const), who, head: fc.nat({ max: HEAD_OFFS.length - 1 }), len: fc.constantFrom(12, 12, 24, 0) })],
  [1, fc.record({ k: fc.constant("get_robust_list" as const), who, of: fc.nat({ max: 15 }) })],
  [
    2,
    fc.record({
      k: fc.constant("wake_op" as const), who, a1: addr, a2: addr, nw: fc.constantFrom(1, 0, 2), nw2: fc.constantFrom(1, 0, 2), op: fc.nat({ max: 7 }),
      oparg: fc.constantFrom(0, 1, 2, 31, 4095), shl: fc.boolean(), cmp: fc.nat({ max: 6 }), cmparg: fc.constantFrom(0, 1, 2, 4095), shared, aim: fc.boolean(),
    }),
  ],
  [3, fc.record({ k: fc.constant("f2wait" as const), who, addr, value: fc.oneof({ weight: 4, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: value }), priv: fc.boolean(), size: sizeCode, aim: fc.nat({ max: 9 }).map((n) => n < 7) })],
  [2, fc.record({ k: fc.constant("f2wake" as const), who, addr, nr: fc.constantFrom(1, 0, 2, INT_MAX), priv: fc.boolean(), size: sizeCode, aim: fc.boolean() })],
  [2, fc.record({ k: fc.constant("waitv" as const), who, entries: fc.array(fc.record({ addr, value: fc.oneof({ weight: 5, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: value }), priv: fc.boolean(), size: sizeCode }), { maxLength: 4 }) })],
  [1, fc.record({ k: fc.constant("f2requeue" as const), who, a1: addr, a2: addr, nw: fc.constantFrom(0, 1, 2), nr: fc.constantFrom(1, 0, 2), priv1: fc.boolean(), priv2: fc.boolean(), cmp: fc.oneof({ weight: 4, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: value }), aim: fc.boolean() })],
  [1, fc.record({ k: fc.constant("numa" as const), who, node: fc.nat({ max: 3 }), wait: fc.boolean(), priv: fc.boolean() })],
  [
    3,
    fc.record({
      k: fc.constant("twait" as const),
      who,
      addr,
      value: fc.oneof({ weight: 4, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: value }),
      clock: fc.constantFrom<TimeoutClockArg>("rel", "rel", "abs", "abs_realtime", "rel_realtime", "bad_nsec"),
      shared,
    }),
  ],
  [2, fc.record({ k: fc.constant("timeout" as const), who })],
  [1, fc.record({ k: fc.constant("sigaction" as const), who, restart: fc.boolean() })],
  [1, fc.record({ k: fc.constant("sigstop" as const), who })],
  [2, fc.record({ k: fc.constant("spawn_ct" as const), who, addr })],
  [1, fc.record({ k: fc.constant("set_tid" as const), who, addr })],
  [2, fc.record({ k: fc.constant("join" as const), who })],
  [1, fc.record({ k: fc.constant("clonevm" as const), who, vfork: fc.boolean() })],
];
/** PI futexes and requeue-PI (left out with `pi: false`, which keeps the older intents' random stream) */
const PI_INTENTS: [number, fc.Arbitrary<Intent>][] = [
  [6, fc.record({ k: fc.constant("pilock" as const), who, word: piWord, try: fc.nat({ max: 3 }).map((n) => n === 0), shared, aim: fc.nat({ max: 3 }).map((n) => n !== 0) })],
  [5, fc.record({ k: fc.constant("piunlock" as const), who, word: piWord, robust: fc.nat({ max: 4 }).map((n) => n === 0), shared, owner: fc.nat({ max: 5 }).map((n) => n !== 0), run: fc.boolean() })],
  [2, fc.record({ k: fc.constant("piexit" as const), who, run: fc.boolean() })],
  [1, fc.record({ k: fc.constant("pirobust" as const), who })],
  [5, fc.record({ k: fc.constant("rqwait" as const), who, cond: piWord, word: piWord, value: fc.oneof({ weight: 5, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: value }), shared, aim: fc.nat({ max: 3 }).map((n) => n !== 0) })],
  [
    4,
    fc.record({
      k: fc.constant("rqcmp" as const), who, cond: piWord, word: piWord, nw: fc.nat({ max: 8 }).map((n) => (n === 3 ? 0 : n === 5 ? 2 : 1)), nr: fc.constantFrom(0, 1, 1, 2, INT_MAX),
      cmp: fc.oneof({ weight: 5, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: value }), shared, aim: fc.nat({ max: 4 }).map((n) => n !== 0), run: fc.boolean(),
    }),
  ],
];

export interface GenOptions {
  maxIntents?: number;
  /** experiments: allow what the expansion normally avoids ("requeue-into-busy", "no-kill-follow-up") */
  allow?: ReadonlySet<string>;
  /** draw PI intents too (default true) */
  pi?: boolean;
  /** told why the expansion ended early (the model cannot decide the next event) */
  onStop?: (why: string) => void;
}

export interface Intents {
  cpus: number;
  /** threads t0 spawns before the intents (0..5) */
  threads: number;
  intents: Intent[];
}

export function arbIntents(opts: GenOptions = {}): fc.Arbitrary<Intents> {
  return fc.record({
    cpus: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 5, max: 8 }) }),
    threads: fc.nat({ max: 5 }),
    intents: fc.array(fc.oneof(...[...INTENTS, ...(opts.pi === false ? [] : PI_INTENTS)].map(([weight, arbitrary]) => ({ weight, arbitrary }))), { maxLength: opts.maxIntents ?? 28, size: "max" }),
  });
}

const addrOf = (n: number): Addr => ({ region: Math.floor(n / WORD_OFFS.length), off: WORD_OFFS[n % WORD_OFFS.length]! });
const piAddr = (words: Addr[], n: number, salt: number): Addr => (n < words.length ? words[n]! : addrOf((salt * 7 + n) % (3 * WORD_OFFS.length)));
/** every word a lock may be held in (robust and PI) */
const LOCK_WORDS: Addr[] = [...[...Array(3 * WORD_OFFS.length).keys()].map(addrOf).filter((x) => x.off % 4 === 0), ...PI_WORDS.slice(0, 2), ...PI_WORDS.slice(3)];

/** Expand intents into a sequential program (stepping a model to know the state). */
export function expand(g: Intents, opts: GenOptions = {}): Program {
  const { cpus, intents } = g;
  const m = new Model(cpus, {});
  const events: Event[] = [];
  const touched = new Map<number, Set<number>>(); // region -> word offsets
  const touch = (a: Addr, len = 4): void => {
    for (let o = a.off & ~3; o < a.off + len && o < 4096; o += 4) {
      if (!touched.has(a.region)) touched.set(a.region, new Set());
      touched.get(a.region)!.add(o);
    }
  };
  let stopped = false;
  const emit = (ev: Event): void => {
    if (stopped) return;
    events.push(ev);
    const t = ev.task === undefined ? undefined : m.tasks.get(ev.task);
    const before = t && t.state !== "exited" && !t.group.killed;
    try {
      m.event(ev);
    } catch (e) {
      // the model cannot decide what this event leads to: the program ends before it
      if (!(e instanceof Unsupported)) throw e;
      events.pop();
      stopped = true;
      opts.onStop?.(e.message);
      return;
    }
    // FOLLOW-UP: a fault in user mode (SIGSEGV) killed the thread group: let its other threads
    // exit now (DIVERGENCE 1 made this necessary; it also keeps their exits' order fixed)
    if (t && before && t.group.killed && ev.op !== "signal" && !opts.allow?.has("no-kill-follow-up")) {
      const rest = [...t.group.tasks].sort((x, y) => x.id - y.id);
      if (rest.length) {
        emit({ op: "signal", task: rest[0]!.id, args: { sig: "kill" } });
        for (const o of rest) emit({ op: "run", task: o.id, args: {} });
      }
    }
  };
  const sys = (t: number, op: string, ...args: Arg[]): Event => makeEvent(op, args, t);
  const live = () => [...m.tasks.values()].filter((t) => t.state !== "exited");
  // mostly tasks that can run an event now; sometimes a blocked one (its event is skipped)
  const pick = (n: number) => {
    const l = live();
    const u = l.filter((t) => t.state === "user");
    if (u.length && n < 12) return u[n % u.length]!;
    return l.length ? l[n % l.length]! : null;
  };
  /** where each key sleeping waiters use was named (to aim wakes at them) */
  const named = new Map<string, { a: Addr; shared: boolean }>();
  const name = (t: MTask, a: Addr, sh: boolean): void => {
    if (!t.proc.space.mapped(a)) return;
    const k = futexKey(t.proc.id, t.proc.space, a, sh);
    if (typeof k === "string" && !named.has(k)) named.set(k, { a, shared: sh });
  };
  /** an address and task that reach a sleeping waiter, if any */
  const aim = (n: number): { t: MTask; a: Addr; shared: boolean } | null => {
    const keys = [...new Set(m.queue.map((w) => w.key))].filter((k) => named.has(k));
    if (!keys.length) return null;
    const { a, shared: sh } = named.get(keys[n % keys.length]!)!;
    const k = keys[n % keys.length]!;
    const us = live().filter((u) => u.state === "user" && u.proc.space.mapped(a) && futexKey(u.proc.id, u.proc.space, a, sh) === k);
    return us.length ? { t: us[n % us.length]!, a, shared: sh } : null;
  };
  const unused = (): number | null => {
    for (let i = 1; i < 16; i++) if (!m.tasks.has(i)) return i;
    return null;
  };
  const valueOf = (code: number, t: number, a: Addr): Value => {
    if (code <= 3) return { bits: code };
    const task = m.tasks.get(t)!;
    if (code === 4) return { bits: task.proc.space.mapped(a) ? task.proc.space.read(a) : 0 };
    if (code === 5) return { tid: t, bits: 0 };
    if (code === 6) return { tid: (t + 1) % 16, bits: FUTEX_WAITERS };
    if (code === 7) return { tid: t, bits: FUTEX_OWNER_DIED };
    if (code === 8) return { bits: FUTEX_OWNER_DIED };
    return { bits: 7 };
  };
  const oneActive = () => live().filter((u) => u.state === "user").length === 1;
  /** PI words t can see that a task holds (or held when it died) */
  const heldPi = (t: MTask): Addr[] => {
    const tids = new Set([...m.tasks.values()].map((v) => v.tid));
    return LOCK_WORDS.filter((x) => t.proc.space.mapped(x) && tids.has(t.proc.space.read(x) & 0x3fffffff));
  };
  const readyTasks = () => [...m.tasks.values()].filter((t) => t.state !== "exited" && m.ready(t) && t.state !== "slots");
  const runReady = (): void => {
    for (const t of readyTasks()) emit({ op: "run", task: t.id, args: {} });
  };

  // every program starts with an anonymous page m0 (m1, m2 come from the intents)
  emit(sys(0, "mmap", 0, { anon: true }));
  for (let i = 1; i <= g.threads; i++) emit(sys(0, "spawn", i));
  for (const it of intents) {
    if (stopped) break;
    if (it.k === "gp") {
      emit({ op: "gp", args: {} });
      continue;
    }
    if (it.k === "runAll") {
      runReady();
      continue;
    }
    const t = pick(it.who);
    if (!t) break;
    const id = t.id;
    switch (it.k) {
      case "mmap":
        emit(sys(id, "mmap", it.region, it.file === null ? { anon: true } : { anon: false, file: it.file }));
        break;
      case "munmap":
        emit(sys(id, "munmap", it.region));
        break;
      case "store": {
        const a = addrOf(it.addr);
        touch(a);
        emit(sys(id, "store", a, valueOf(it.value, id, a)));
        break;
      }
      case "load": {
        const a = addrOf(it.addr);
        touch(a);
        emit(sys(id, "load", a));
        break;
      }
      case "spawn":
      case "fork": {
        const c = unused();
        if (c !== null) emit(sys(id, it.k, c));
        break;
      }
      case "wait": {
        // mostly keep one task able to act
        if (live().filter((u) => u.state === "user").length === 1 && it.who % 3 !== 0) break;
        // aimed: join a queue that already has sleepers
        const to = it.aim ? aim(it.who + it.addr) : null;
        if (to && to.t.id !== id && live().filter((u) => u.state === "user").length === 1) break;
        const a = to ? to.a : addrOf(it.addr);
        const sh = to ? to.shared : it.shared;
        const wt = to ? to.t : t;
        touch(a);
        name(wt, a, sh);
        emit(sys(wt.id, "futex_wait", a, valueOf(it.value, wt.id, a), sh));
        break;
      }
      case "wake": {
        const to = it.aim ? aim(it.who + it.addr) : null;
        const a = to ? to.a : addrOf(it.addr);
        touch(a);
        emit(sys(to ? to.t.id : id, "futex_wake", a, it.nr, to ? to.shared : it.shared));
        break;
      }
      case "requeue": {
        const to = it.aim ? aim(it.who + it.a1) : null;
        const a1 = to ? to.a : addrOf(it.a1);
        const a2 = it.a2 % 3 === 0 ? a1 : addrOf(it.a2); // sometimes onto the same word
        const sh = to ? to.shared : it.shared;
        const rt = to ? to.t : t;
        touch(a1);
        touch(a2);
        name(rt, a2, sh);
        let nr = it.nr;
        // KNOWN LIMIT (not a divergence): when two keys share a hash bucket, requeued waiters keep
        // their place in the bucket's chain instead of queueing behind key2's waiters, so the
        // wake order of a non-empty key2 depends on hashing. Requeue into an empty key2 only.
        const sp = rt.proc.space;
        if (sp.mapped(a1) && sp.mapped(a2)) {
          const k1 = futexKey(rt.proc.id, sp, a1, sh);
          const k2 = futexKey(rt.proc.id, sp, a2, sh);
          if (typeof k2 === "string" && k1 !== k2 && m.queue.some((w) => w.key === k2) && !opts.allow?.has("requeue-into-busy")) nr = 0;
        }
        if (it.cmp !== null) emit(sys(rt.id, "futex_cmp_requeue", a1, a2, it.nw, nr, valueOf(it.cmp!, rt.id, a1), sh));
        else emit(sys(rt.id, "futex_requeue", a1, a2, it.nw, nr, sh));
        break;
      }
      case "wake_op": {
        const to = it.aim ? aim(it.who + it.a1) : null;
        const a1 = to ? to.a : addrOf(it.a1);
        const a2 = addrOf(it.a2);
        touch(a1);
        touch(a2);
        emit(sys(to ? to.t.id : id, "futex_wake_op", a1, a2, it.nw, it.nw2, OPS[it.op]!, it.oparg, it.shl, CMPS[it.cmp]!, it.cmparg, to ? to.shared : it.shared));
        break;
      }
      case "f2wait": {
        if (live().filter((u) => u.state === "user").length === 1 && it.who % 3 !== 0) break;
        const to = it.aim ? aim(it.who + it.addr) : null;
        if (to && to.t.id !== id && live().filter((u) => u.state === "user").length === 1) break;
        const a = to ? to.a : addrOf(it.addr);
        const sh = to ? to.shared : !it.priv;
        const wt = to ? to.t : t;
        touch(a);
        name(wt, a, sh);
        emit(sys(wt.id, "futex2_wait", a, valueOf(it.value, wt.id, a), SIZES[it.size]!, !sh, false));
        break;
      }
      case "f2wake": {
        const to = it.aim ? aim(it.who + it.addr) : null;
        const a = to ? to.a : addrOf(it.addr);
        touch(a);
        emit(sys(to ? to.t.id : id, "futex2_wake", a, it.nr, SIZES[it.size]!, to ? !to.shared : it.priv, false));
        break;
      }
      case "waitv": {
        if (live().filter((u) => u.state === "user").length === 1 && it.who % 3 !== 0) break;
        for (const e of it.entries) {
          const a = addrOf(e.addr);
          touch(a);
          name(t, a, !e.priv);
          emit(sys(id, "waitv_entry", a, valueOf(e.value, id, a), SIZES[e.size]!, e.priv, false));
        }
        emit(sys(id, "futex_waitv"));
        break;
      }
      case "f2requeue": {
        const to = it.aim ? aim(it.who + it.a1) : null;
        const a1 = to ? to.a : addrOf(it.a1);
        const a2 = addrOf(it.a2);
        const rt = to ? to.t : t;
        const p1 = to ? !to.shared : it.priv1;
        const p2 = to && it.priv1 === it.priv2 ? p1 : it.priv2;
        touch(a1);
        touch(a2);
        name(rt, a2, !p2);
        let nr = it.nr;
        // KNOWN LIMIT as for futex_requeue: requeue into an empty key2 only
        const sp = rt.proc.space;
        if (sp.mapped(a1) && sp.mapped(a2)) {
          const k1 = futexKey(rt.proc.id, sp, a1, !p1);
          const k2 = futexKey(rt.proc.id, sp, a2, !p2);
          if (typeof k2 === "string" && k1 !== k2 && m.queue.some((w) => w.key === k2)) nr = 0;
        }
        emit(sys(rt.id, "waitv_entry", a1, valueOf(it.cmp, rt.id, a1), "u32", p1, false));
        emit(sys(rt.id, "waitv_entry", a2, { bits: 0 }, "u32", p2, false));
        emit(sys(rt.id, "futex2_requeue", it.nw, nr));
        break;
      }
      case "numa": {
        if (it.wait && live().filter((u) => u.state === "user").length === 1 && it.who % 3 !== 0) break;
        const nodeWord: Addr = { region: NUMA_ADDR.region, off: NUMA_ADDR.off + 4 };
        touch(NUMA_ADDR, 8);
        emit(sys(id, "store", nodeWord, { bits: NODE_WORDS[it.node]! }));
        if (it.wait) emit(sys(id, "futex2_wait", NUMA_ADDR, valueOf(4, id, NUMA_ADDR), "u32", it.priv, true));
        else emit(sys(id, "futex2_wake", NUMA_ADDR, 1, "u32", it.priv, true));
        break;
      }
      case "set_slots":
        // FOLLOW-UP: runnable tasks run first: SET_SLOTS may or may not have to wait for them
        runReady();
        if (m.tasks.get(id)!.state !== "user") break;
        emit(sys(id, "hash_set_slots", it.n));
        // FOLLOW-UP: SET_SLOTS replacing a hash waits for grace periods; finish it now, so other
        // threads' GET_SLOTS see the new size (the pivot time is otherwise up to scheduling)
        if (m.tasks.get(id)!.state === "slots") emit(sys(id, "hash_get_slots"));
        break;
      case "get_slots":
        emit(sys(id, "hash_get_slots"));
        break;
      case "exec":
        // FOLLOW-UP: runnable tasks run first, so that completing the exec (which lets others
        // run in round-robin until the killed threads are gone) leaves nothing to chance
        if (!it.fail) runReady();
        emit(sys(id, "exec", it.fail));
        // FOLLOW-UP: complete the exec now (de_thread waits for the other threads to die)
        if (m.tasks.get(id)!.state === "exec") emit(sys(id, "hash_get_slots"));
        break;
      case "exit": {
        // mostly a task that holds a robust word (its death marks it and wakes a sleeper)
        const holders = live().filter((v) => v.state === "user" && LOCK_WORDS.some((x) => v.proc.space.mapped(x) && (v.proc.space.read(x) & 0x3fffffff) === v.tid));
        emit(sys(holders.length && it.who % 4 !== 0 ? holders[it.who % holders.length]!.id : id, "exit"));
        break;
      }
      case "signal":
        emit({ op: "signal", task: id, args: { sig: it.sig } });
        // FOLLOW-UP: a signalled waiter stays queued until it runs; run it (and for SIGKILL every
        // thread of the group) now, so no later wake can still count it
        if (it.sig === "usr1") {
          if (m.ready(t)) emit({ op: "run", task: id, args: {} });
        } else for (const o of [...t.group.tasks].sort((x, y) => x.id - y.id)) emit({ op: "run", task: o.id, args: {} });
        break;
      case "twait": {
        if (live().filter((u) => u.state === "user").length === 1 && it.who % 3 !== 0) break;
        const a = addrOf(it.addr);
        touch(a);
        name(t, a, it.shared);
        emit(sys(id, "futex_wait_timeout", a, valueOf(it.value, id, a), it.clock, it.shared));
        break;
      }
      case "timeout": {
        // mostly a task asleep in a timed wait
        const timed = live().filter((u) => u.state === "waiting" && u.wait?.expiry);
        const u = timed.length && it.who % 4 !== 0 ? timed[it.who % timed.length]! : t;
        emit({ op: "timeout", task: u.id, args: {} });
        // FOLLOW-UP: the timed-out waiter stays queued until it runs; run it now, as for signals
        if (m.ready(u)) emit({ op: "run", task: u.id, args: {} });
        break;
      }
      case "sigaction":
        emit(sys(id, "sigaction", it.restart));
        break;
      case "spawn_ct": {
        const c = unused();
        const a = addrOf(it.addr);
        touch(a);
        if (c !== null) emit(sys(id, "spawn_cleartid", c, a));
        break;
      }
      case "clonevm": {
        const c = unused();
        if (c !== null) emit(sys(id, it.vfork ? "vfork" : "clone_vm", c));
        break;
      }
      case "set_tid": {
        const a = addrOf(it.addr);
        touch(a);
        emit(sys(id, "set_tid_address", a));
        break;
      }
      case "join": {
        // pthread_join: sleep on a live thread's clear_child_tid word while it holds the TID
        const joinable = live().filter((u) => u.clearTid && u.proc.space.mapped(u.clearTid) && u.proc.space.read(u.clearTid) === u.tid);
        if (!joinable.length) break;
        const u = joinable[it.who % joinable.length]!;
        const joiner = live().find((v) => v !== u && v.state === "user" && v.proc === u.proc);
        if (!joiner || live().filter((v) => v.state === "user").length === 1) break;
        name(joiner, u.clearTid!, true);
        emit(sys(joiner.id, "futex_wait", u.clearTid!, { tid: u.id, bits: 0 }, true));
        break;
      }
      case "sigstop":
        emit({ op: "sigstop", task: id, args: {} });
        // FOLLOW-UP: every interrupted wait of the group restarts when it runs: run them now
        for (const o of [...t.group.tasks].sort((x, y) => x.id - y.id)) if (m.ready(o)) emit({ op: "run", task: o.id, args: {} });
        break;
      case "cpu":
        emit({ op: "cpu", task: id, args: { cpu: it.cpu } });
        break;
      case "run":
        emit({ op: "run", task: id, args: {} });
        break;
      case "robust_init": {
        const a = { region: 0, off: HEAD_OFFS[it.head]! };
        touch(a, 12);
        emit(sys(id, "robust_init", a));
        break;
      }
      case "robust_lock":
      case "robust_unlock":
      case "robust_pending": {
        let u = t;
        let a = addrOf(it.addr);
        const words = [...Array(3 * WORD_OFFS.length).keys()].map(addrOf).filter((x) => x.off % 4 === 0);
        const owner = (v: MTask, x: Addr) => (v.proc.space.mapped(x) ? v.proc.space.read(x) & 0x3fffffff : 0);
        const unlock = it.k === "robust_unlock";
        if (unlock && it.addr % 8 !== 0) {
          // mostly unlock a word its owner holds (the owner unlocks)
          const held = live()
            .filter((v) => v.state === "user")
            .flatMap((v) => words.filter((x) => owner(v, x) === v.tid).map((x) => ({ v, x })));
          if (held.length) ({ v: u, x: a } = held[(it.who + it.addr) % held.length]!);
        } else if (!unlock && it.addr % 2 === 0) {
          // mostly contend for a word somebody holds
          const held = words.filter((x) => owner(t, x) > 1000);
          if (held.length) a = held[(it.addr >> 1) % held.length]!;
        }
        const uid = u.id;
        if (!u.userHead) {
          const h = { region: 0, off: HEAD_OFFS[uid % HEAD_OFFS.length]! };
          touch(h, 12);
          emit(sys(uid, "robust_init", h));
          if (u.state !== "user") break;
        }
        touch(a, 8);
        if (u.userHead) touch({ region: 0, off: HEAD_OFFS.find((o) => 0x10000000 + o === u.userHead) ?? 64 }, 12);
        if (it.k === "robust_lock") name(u, a, true);
        // glibc's legacy unlock for a third of the unlocks (drawn from the item, so the stream of
        // generated items stays what the seeded properties were written against)
        emit(sys(uid, unlock && (it.who + it.addr) % 3 === 2 ? "robust_unlock_legacy" : it.k, a));
        break;
      }
      case "set_robust_list": {
        const a = { region: 0, off: HEAD_OFFS[it.head]! };
        emit(sys(id, "set_robust_list", a, it.len));
        break;
      }
      case "get_robust_list":
        emit(sys(id, "get_robust_list", it.of));
        break;
      case "pilock": {
        // mostly contend for a PI word somebody holds (a lock shared by several threads)
        let a = piAddr(PI_WORDS, it.word, it.who);
        if (it.aim) {
          const held = heldPi(t);
          if (held.length) a = held[(it.who + it.word) % held.length]!;
        }
        // a lock that would block: mostly keep one task able to act
        if (!it.try && oneActive() && it.who % 3 !== 0 && t.proc.space.mapped(a) && t.proc.space.read(a) !== 0) break;
        touch(a);
        emit(sys(id, it.try ? "futex_trylock_pi" : "futex_lock_pi", a, it.shared));
        break;
      }
      case "piunlock": {
        let u = t;
        let a = piAddr(PI_WORDS, it.word, it.who);
        if (it.owner) {
          // mostly the owner unlocks
          const held = live()
            .filter((v) => v.state === "user")
            .flatMap((v) => LOCK_WORDS.filter((x) => v.proc.space.mapped(x) && (v.proc.space.read(x) & 0x3fffffff) === v.tid).map((x) => ({ v, x })));
          if (!held.length) break;
          ({ v: u, x: a } = held[(it.who + it.word) % held.length]!);
        }
        touch(a);
        emit(sys(u.id, "futex_unlock_pi", a, it.shared, it.robust));
        // FOLLOW-UP (half the time): the new owner runs now; else it takes the lock later
        if (it.run) runReady();
        break;
      }
      case "rqwait": {
        if (oneActive() && it.who % 3 !== 0) break;
        // a condvar word goes with the PI word of the same index (the mutex it is used with)
        let c = piAddr(COND_WORDS, it.cond, it.who);
        let p = piAddr(PI_WORDS, it.word < PI_WORDS.length ? it.cond % PI_WORDS.length : it.word, it.who + 1);
        let sh = it.shared;
        // mostly join the requeue-PI waiters already on a condvar (same condvar, same PI word)
        const w = it.aim ? m.queue.filter((q) => q.task.pi?.kind === "requeue" && q.task.proc === t.proc) : [];
        if (w.length) {
          const q = w[(it.who + it.cond) % w.length]!;
          c = q.task.pi!.first!.addr;
          p = q.task.pi!.addr;
          sh = q.task.pi!.shared;
        }
        touch(c);
        touch(p);
        name(t, c, sh);
        emit(sys(id, "futex_wait_requeue_pi", c, valueOf(it.value, id, c), p, sh));
        break;
      }
      case "piexit": {
        // the owner of a PI lock with blocked lockers exits (exit_pi_state_list hands it on)
        const owners = [...new Set(m.queue.filter((q) => q.task.pi?.kind === "lock").map((q) => q.task.proc.space.mapped(q.task.pi!.addr) ? q.task.proc.space.read(q.task.pi!.addr) & 0x3fffffff : 0))]
          .map((tid) => live().find((v) => v.tid === tid && v.state === "user"))
          .filter((v) => v !== undefined);
        if (!owners.length) break;
        emit(sys(owners[it.who % owners.length]!.id, "exit"));
        // FOLLOW-UP (half the time): the new owner runs now (and writes OWNER_DIED)
        if (it.run) runReady();
        break;
      }
      case "pirobust": {
        // a PI mutex its owner holds joins the owner's robust list (glibc's robust PI mutex:
        // the entry's low bit marks it PI), so its death walks it before exit_pi_state_list
        const held = live()
          .filter((v) => v.state === "user")
          .flatMap((v) => [PI_WORDS[0]!, PI_WORDS[3]!, PI_WORDS[5]!].filter((x) => v.proc.space.mapped(x) && (v.proc.space.read(x) & 0x3fffffff) === v.tid).map((x) => ({ v, x })));
        if (!held.length) break;
        const { v: u, x } = held[it.who % held.length]!;
        if (!u.userHead) {
          const h = { region: 0, off: HEAD_OFFS[u.id % HEAD_OFFS.length]! };
          touch(h, 12);
          emit(sys(u.id, "robust_init", h));
          if (u.state !== "user" || !u.userHead) break;
        }
        const headOff = HEAD_OFFS.find((o) => 0x10000000 + o === u.userHead);
        if (headOff === undefined) break;
        const head: Addr = { region: 0, off: headOff };
        const node: Addr = { region: x.region, off: x.off + 4 };
        const nodeAbs = 0x10000000 + x.region * 4096 + node.off;
        if (!u.proc.space.mapped(head)) break;
        touch(head, 12);
        touch(node);
        emit(sys(u.id, "store", node, { bits: u.proc.space.read(head) }));
        emit(sys(u.id, "store", head, { bits: (nodeAbs | 1) >>> 0 }));
        break;
      }
      case "rqcmp": {
        let u = t;
        let c = piAddr(COND_WORDS, it.cond, it.who);
        let p = piAddr(PI_WORDS, it.word < PI_WORDS.length ? it.cond % PI_WORDS.length : it.word, it.who + 1);
        let sh = it.shared;
        if (it.aim) {
          // mostly requeue the waiters of a condvar, from a task that sees the same two keys
          const ws = m.queue.filter((q) => q.task.pi?.kind === "requeue");
          const q = ws.length ? ws[(it.who + it.cond) % ws.length]! : null;
          if (q) {
            const op = q.task.pi!;
            const k2 = op.key;
            const fits = (v: MTask) =>
              v.state === "user" && v.proc.space.mapped(op.first!.addr) && v.proc.space.mapped(op.addr) && futexKey(v.proc.id, v.proc.space, op.first!.addr, op.shared) === q.key && futexKey(v.proc.id, v.proc.space, op.addr, op.shared) === k2;
            const us = live().filter(fits);
            if (us.length) {
              u = us[(it.who + it.word) % us.length]!;
              c = op.first!.addr;
              p = op.addr;
              sh = op.shared;
            }
          }
        }
        touch(c);
        touch(p);
        emit(sys(u.id, "futex_cmp_requeue_pi", c, p, it.nw, it.nr, valueOf(it.cmp, u.id, c), sh));
        if (it.run) runReady();
        break;
      }
    }
  }

  // Final loads: every touched word, in every process that has a task able to run a load.
  if (stopped) return { cpus, events };
  const seen = new Set<number>();
  for (const t of [...m.tasks.values()].sort((a, b) => a.id - b.id)) {
    if (t.state !== "user" || seen.has(t.proc.id)) continue;
    seen.add(t.proc.id);
    for (const [region, offs] of [...touched].sort((a, b) => a[0] - b[0])) {
      if (!t.proc.space.regions.has(region)) continue;
      for (const off of [...offs].sort((a, b) => a - b)) emit(sys(t.id, "load", { region, off }));
    }
  }
  return { cpus, events };
}

/** How to turn a sequential program into an interleaved one: `@k` stops and scheduler events. */
export interface Interleaving {
  /** per syscall event (by position, cycling): a stop @k, or none */
  stops: (number | null)[];
  /** scheduler events inserted after the event at `at` (mod length) */
  inserts: { at: number; ev: "step" | "run" | "cpu" | "gp"; task: number; n: number }[];
}

export function arbInterleaving(): fc.Arbitrary<Interleaving> {
  return fc.record({
    stops: fc.array(fc.option(fc.nat({ max: 12 }), { freq: 2, nil: null }), { minLength: 1, maxLength: 12 }),
    inserts: fc.array(
      fc.record({ at: fc.nat({ max: 63 }), ev: fc.constantFrom("step" as const, "step" as const, "run" as const, "cpu" as const, "gp" as const), task: fc.nat({ max: 7 }), n: fc.nat({ max: 7 }) }),
      { maxLength: 12 },
    ),
  });
}

/** Apply an interleaving to a program (the result is any program; invariants still hold). */
export function interleave(p: Program, il: Interleaving): Program {
  const events: Event[] = [];
  let sc = 0;
  p.events.forEach((ev, i) => {
    const e = { ...ev };
    if (kindOf(e.op).form === "syscall") {
      const s = il.stops[sc++ % il.stops.length];
      if (s !== null && s !== undefined) e.stop = s;
    }
    events.push(e);
    for (const ins of il.inserts)
      if (ins.at % Math.max(1, p.events.length) === i) {
        if (ins.ev === "gp") events.push({ op: "gp", args: {} });
        else if (ins.ev === "run") events.push({ op: "run", task: ins.task, args: {} });
        else if (ins.ev === "cpu") events.push({ op: "cpu", task: ins.task, args: { cpu: ins.n } });
        else events.push({ op: "step", task: ins.task, args: { points: ins.n + 1 } });
      }
  });
  return { cpus: p.cpus, events };
}
