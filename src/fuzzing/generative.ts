// The generative engine's program source: long random programs through the decoder, schedule
// perturbations of corpus programs (the `@k` of a syscall, inserted `step`/`run`/`cpu`/`gp`
// events and the target's asynchronous ones — `irq`, `signal`, `fail_alloc` — removed ones, the
// CPU count, a syscall stopped and its task interrupted there), and mutations of their events
// (an event spliced in from another program, one dropped, a syscall argument redrawn from the
// names and offsets the program uses, the page under a futex word remapped onto a file page the
// program wrote: src/fuzzing/remap.ts). It is a
// fuzzer, not the simulator: it has its own seeded PRNG, and a given seed with the same corpus
// gives the same programs in the same order.
//
// Programs that reach kernel states (src/fuzzing/state.ts features) no earlier program reached
// join the pool that perturbations and mutations start from, so the engine keeps what it found.
import { decode } from "../program/codec.js";
import { LIMITS, VALUES, eventOf, kindOf, type Arg, type ArgKind, type EventKind } from "../program/events.js";
import type { Addr, Event, Program } from "../program/types.js";
import { remapUnder } from "./remap.js";

/** xorshift32; 0 is mapped to 1 */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** n seeded random bytes */
export function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r() & 0xff;
  return b;
}

/**
 * Random bytes of a log-uniform length in [MIN_BYTES, MAX_BYTES], decoded with `table`: what
 * the bench's blind engine runs, and the random half of the generative engine.
 */
export function randomBytesProgram(r: () => number, table: readonly EventKind[]): Program {
  const span = Math.log(MAX_BYTES / MIN_BYTES);
  const len = Math.floor(MIN_BYTES * Math.exp(((r() >>> 8) / (1 << 24)) * span));
  return decode(randomBytes(r, len), table);
}

/**
 * Blind guessing: random-byte programs from a PRNG seeded by `seed` alone, in one fixed order.
 * The bench's blind engine runs this stream, and a campaign's burst starts with it (its lead,
 * generative-engine.ts): a seed's lead is the blind engine's first programs for that seed.
 */
export function blindStream(table: readonly EventKind[], seed: number): () => Program {
  const r = xorshift(Math.imul(seed, 0x9e3779b1));
  return () => randomBytesProgram(r, table);
}

/** random-byte programs: lengths log-uniform in [MIN_BYTES, MAX_BYTES] (libFuzzer's default -max_len),
 * as the blind-random benchmark engine draws them */
export const MIN_BYTES = 1;
export const MAX_BYTES = 4096;
/** a perturbed program never grows past what decode can produce */
const MAX_EVENTS = LIMITS.decodeEvents;
/** the pool of programs perturbations start from (corpus + what reached new states), FIFO beyond */
export const MAX_POOL = 4096;

/** the control kinds every target has: perturbations insert and drop them */
const CONTROL = new Set(["step", "run", "cpu", "gp"]);

export class GenerativeSource {
  private readonly r: () => number;
  private readonly pool: Program[] = [];
  private readonly seen = new Set<number>();
  /** the target's control kinds beyond CONTROL (irq, signal, fail_alloc): inserted at random */
  private readonly asynchronous: readonly EventKind[];
  /** programs made so far by kind */
  readonly made = { random: 0, perturbed: 0, mutated: 0 };

  constructor(
    private readonly table: readonly EventKind[],
    seed: number,
  ) {
    this.r = xorshift(Math.imul(seed, 0x9e3779b1) ^ 0x5bd1e995);
    // the perturbations only insert kinds the target has
    for (const k of CONTROL) if (!table.some((t) => t.name === k)) throw new Error(`generative engine: the target has no '${k}' events`);
    this.asynchronous = table.filter((k) => k.form === "control" && !CONTROL.has(k.name));
  }

  /** a program the next ones may be perturbations of (corpus inputs) */
  add(p: Program): void {
    if (p.events.length === 0) return;
    this.pool.push(p);
    if (this.pool.length > MAX_POOL) this.pool.shift();
  }

  get poolSize(): number {
    return this.pool.length;
  }

  /** after running `p`: its state features; a program with one never seen before joins the pool */
  feedback(p: Program, features: readonly number[]): boolean {
    let fresh = false;
    for (const f of features)
      if (!this.seen.has(f)) {
        this.seen.add(f);
        fresh = true;
      }
    if (fresh) this.add(p);
    return fresh;
  }

  get features(): number {
    return this.seen.size;
  }

  private below(n: number): number {
    return this.r() % n;
  }

  next(): Program {
    // half random programs, a quarter schedule perturbations, a quarter mutations of the events:
    // random bytes alone found 6 of the 11 historical switches faster than jazzer
    // (docs/bench-results-10min.md); perturbations find the races, mutations combine the corpus's
    // pieces (a remap from one program, a stale TID from another)
    if (this.pool.length === 0 || this.below(2) === 0) {
      this.made.random++;
      return this.randomProgram();
    }
    const base = this.pool[this.below(this.pool.length)]!;
    if (this.below(2) === 0) {
      this.made.mutated++;
      return this.mutate(base);
    }
    this.made.perturbed++;
    return this.perturb(base);
  }

  /** random bytes through the decoder, lengths log-uniform */
  randomProgram(): Program {
    return randomBytesProgram(this.r, this.table);
  }

  /** 1..4 schedule perturbations of a copy of `base` */
  perturb(base: Program): Program {
    // a perturbation changes an event's `stop`, never its arguments: a shallow copy of each event
    const p: Program = { ...base, events: base.events.map((e) => ({ ...e })) };
    const n = 1 + this.below(4);
    for (let i = 0; i < n; i++) this.perturbOnce(p);
    return p;
  }

  private tasks(p: Program): number[] {
    const ts = new Set<number>([0]);
    for (const e of p.events) if (e.task !== undefined) ts.add(e.task);
    return [...ts];
  }

  /** a small count, sometimes a larger one: preemption points cluster at low numbers */
  private points(max: number): number {
    const v = this.below(4) === 0 ? this.below(max) : this.below(12);
    return Math.min(max, Math.max(0, v));
  }

  private insert(p: Program, ev: Event): void {
    if (p.events.length >= MAX_EVENTS) return;
    p.events.splice(this.below(p.events.length + 1), 0, ev);
  }

  /** a value for a control event's argument: its dictionary mostly, else anything in range */
  private argValue(a: ArgKind, task: number): number | string {
    switch (a.k) {
      case "int":
        if (a.name === "points") return 1 + this.points(60);
        return this.below(4) !== 0 ? a.dict[this.below(a.dict.length)]! : a.min + this.below(Math.min(a.max - a.min + 1, 64));
      case "enum":
        return a.values[this.below(a.values.length)]!;
      case "task":
        return task;
      default:
        throw new Error(`generative engine: no perturbation for ${a.k} arguments`);
    }
  }

  /** the addresses a program names (the offsets worth reusing: a word another event touches) */
  private addrs(p: Program): Addr[] {
    const out: Addr[] = [];
    for (const e of p.events) for (const v of Object.values(e.args)) if (typeof v === "object" && "off" in v) out.push(v);
    return out;
  }

  /** a syscall argument drawn afresh: mostly among what the program already names */
  private syscallArg(a: ArgKind, p: Program, tasks: readonly number[]): Arg {
    const pick = <T>(xs: readonly T[]): T => xs[this.below(xs.length)]!;
    switch (a.k) {
      case "task":
        // a new name only where the argument creates one
        return a.role === "creates" && this.below(2) === 0 ? this.below(LIMITS.tasks) : pick(tasks);
      case "region":
      case "addr": {
        const used = this.addrs(p);
        const region = used.length > 0 && this.below(4) !== 0 ? pick(used).region : this.below(4);
        if (a.k === "region") return region;
        const off = used.length > 0 && this.below(4) !== 0 ? pick(used).off : 4 * this.below(32);
        return { region, off };
      }
      case "value": {
        const c = this.below(3);
        if (c === 0) return { bits: pick(VALUES.small) };
        if (c === 1) return { tid: pick(tasks), bits: pick(VALUES.tidBits) };
        return { bits: pick(VALUES.constants) };
      }
      case "mapping":
        return this.below(2) === 0 ? { anon: true } : { anon: false, file: this.below(2) };
      case "int":
        return this.below(4) !== 0 ? pick(a.dict) : a.min + this.below(Math.min(a.max - a.min + 1, 64));
      case "enum":
        return pick(a.values);
      case "flag":
        return this.below(2) === 0;
    }
  }

  /** a control event of `kind` for `task`, its arguments drawn afresh */
  private control(kind: EventKind, task: number, cpus: number): Program["events"][number] {
    const args: Record<string, number | string> = {};
    for (const a of kind.args) args[a.name] = a.name === "cpu" ? this.below(cpus) : this.argValue(a, task);
    return eventOf(kind, args, kind.taskOperand ? task : undefined);
  }

  private perturbOnce(p: Program): void {
    const ts = this.tasks(p);
    const task = ts[this.below(ts.length)]!;
    const syscalls = p.events.map((e, i) => (kindOf(e.op).form === "syscall" ? i : -1)).filter((i) => i >= 0);
    switch (this.below(11)) {
      case 0:
      case 1: {
        // stop a syscall after k points (or let it run to the end)
        if (syscalls.length === 0) return this.insert(p, { op: "gp", args: {} });
        const ev = p.events[syscalls[this.below(syscalls.length)]!]!;
        if (ev.stop !== undefined && this.below(4) === 0) delete ev.stop;
        else ev.stop = this.points(200);
        return;
      }
      case 2:
        return this.insert(p, { op: "step", task, args: { points: 1 + this.points(60) } });
      case 3:
        return this.insert(p, { op: "run", task, args: {} });
      case 4:
        return this.insert(p, { op: "cpu", task, args: { cpu: this.below(p.cpus) } });
      case 5:
        return this.insert(p, { op: "gp", args: {} });
      case 6: {
        // drop a scheduling event
        const ctl = p.events.map((e, i) => (CONTROL.has(e.op) ? i : -1)).filter((i) => i >= 0);
        if (ctl.length > 0) p.events.splice(ctl[this.below(ctl.length)]!, 1);
        return;
      }
      case 7:
        // another CPU count (cpu events beyond it are skipped at run time; more CPUs, bigger
        // auto-scaled hashes)
        p.cpus = 1 + this.below(LIMITS.cpus);
        return;
      case 8: {
        // an asynchronous event the target has (an interrupt, a signal, a failing allocation),
        // inserted anywhere
        if (this.asynchronous.length === 0) return this.insert(p, { op: "gp", args: {} });
        return this.insert(p, this.control(this.asynchronous[this.below(this.asynchronous.length)]!, task, p.cpus));
      }
      case 10:
        return this.interrupt(p, syscalls);
      case 9: {
        // redraw the arguments of a control event already there (which signal, which instruction)
        const ctl = p.events.map((e, i) => (kindOf(e.op).form === "control" && kindOf(e.op).args.length > 0 ? i : -1)).filter((i) => i >= 0);
        if (ctl.length === 0) return;
        const i = ctl[this.below(ctl.length)]!;
        const ev = p.events[i]!;
        p.events[i] = this.control(kindOf(ev.op), ev.task ?? task, p.cpus);
        return;
      }
    }
  }

  /**
   * Stop a syscall (a fresh `@k` half the time when it has one) and interrupt its task while it
   * stands there: an asynchronous event (irq, signal) for that task, placed after the syscall and
   * before the task's next event. Inserted anywhere (case 8), such an event mostly finds its
   * task elsewhere than in the window a stop opened.
   */
  private interrupt(p: Program, syscalls: readonly number[]): void {
    const async = this.asynchronous.filter((k) => k.taskOperand);
    if (async.length === 0 || syscalls.length === 0 || p.events.length >= MAX_EVENTS) return this.insert(p, { op: "gp", args: {} });
    const i = syscalls[this.below(syscalls.length)]!;
    const ev = p.events[i]!;
    const task = ev.task ?? 0;
    if (ev.stop === undefined || this.below(2) === 0) ev.stop = this.points(200);
    let next = i + 1;
    while (next < p.events.length && (p.events[next]!.task ?? -1) !== task) next++;
    p.events.splice(i + 1 + this.below(next - i), 0, this.control(async[this.below(async.length)]!, task, p.cpus));
  }

  /** 1..3 changes to the events themselves (splice, drop, an argument redrawn), then maybe a schedule perturbation */
  mutate(base: Program): Program {
    const p: Program = { ...base, events: base.events.map((e) => ({ ...e })) };
    const n = 1 + this.below(3);
    for (let i = 0; i < n; i++) this.mutateOnce(p);
    if (this.below(2) === 0) this.perturbOnce(p);
    return p;
  }

  private mutateOnce(p: Program): void {
    const ts = this.tasks(p);
    const syscalls = p.events.map((e, i) => (kindOf(e.op).form === "syscall" ? i : -1)).filter((i) => i >= 0);
    switch (this.below(5)) {
      case 4:
        // the page under a futex word replaced by a file page the program wrote (src/fuzzing/remap.ts)
        remapUnder(p, (n) => this.below(n), MAX_EVENTS);
        return;
      case 0: {
        // splice: an event of another pool program, inserted anywhere (names are positional
        // across programs: m0, t1 mean the same slots everywhere, so the event usually fits)
        const other = this.pool[this.below(this.pool.length)]!;
        if (other.events.length === 0) return;
        return this.insert(p, { ...other.events[this.below(other.events.length)]! });
      }
      case 1:
        // drop any event
        if (p.events.length > 1) p.events.splice(this.below(p.events.length), 1);
        return;
      case 2:
      case 3: {
        // redraw one argument of a syscall, from the names, offsets and values the program uses
        if (syscalls.length === 0) return;
        const i = syscalls[this.below(syscalls.length)]!;
        const ev = p.events[i]!;
        const specs = kindOf(ev.op).args;
        if (specs.length === 0) return;
        const a = specs[this.below(specs.length)]!;
        const args: Record<string, Arg | undefined> = { ...ev.args };
        args[a.name] = this.syscallArg(a, p, ts);
        p.events[i] = eventOf(kindOf(ev.op), args, ev.task, ev.stop);
        return;
      }
    }
  }
}
