// The generative engine's program source: long random programs through the decoder, and schedule
// perturbations of corpus programs (the `@k` of a syscall, inserted `step`/`run`/`cpu`/`gp`
// events, removed ones, the CPU count). It is a fuzzer, not the simulator: it has its own seeded
// PRNG, and a given seed with the same corpus gives the same programs in the same order.
//
// Programs that reach kernel states (src/fuzzing/state.ts features) no earlier program reached join the
// pool that perturbations start from, so the engine keeps what its perturbations found.
import { decode } from "../program/codec.js";
import { LIMITS, kindOf, type EventKind } from "../program/events.js";
import type { Event, Program } from "../program/types.js";

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

/** random-byte programs: lengths log-uniform in [MIN_BYTES, MAX_BYTES] (libFuzzer's default -max_len),
 * as the blind-random benchmark engine draws them */
export const MIN_BYTES = 1;
export const MAX_BYTES = 4096;
/** a perturbed program never grows past what decode can produce */
const MAX_EVENTS = LIMITS.decodeEvents;
/** the pool of programs perturbations start from (corpus + what reached new states), FIFO beyond */
const MAX_POOL = 4096;

const CONTROL = new Set(["step", "run", "cpu", "gp"]);

export class GenerativeSource {
  private readonly r: () => number;
  private readonly pool: Program[] = [];
  private readonly seen = new Set<number>();
  /** programs made so far by kind */
  readonly made = { random: 0, perturbed: 0 };

  constructor(
    private readonly table: readonly EventKind[],
    seed: number,
  ) {
    this.r = xorshift(Math.imul(seed, 0x9e3779b1) ^ 0x5bd1e995);
    // the perturbations only insert kinds the target has
    for (const k of CONTROL) if (!table.some((t) => t.name === k)) throw new Error(`generative engine: the target has no '${k}' events`);
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
    // half random programs, half perturbations: random bytes alone found 6 of the 11 historical
    // switches faster than jazzer (docs/bench-results-10min.md)
    if (this.pool.length === 0 || this.below(2) === 0) {
      this.made.random++;
      return this.randomProgram();
    }
    this.made.perturbed++;
    return this.perturb(this.pool[this.below(this.pool.length)]!);
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

  private perturbOnce(p: Program): void {
    const ts = this.tasks(p);
    const task = ts[this.below(ts.length)]!;
    const syscalls = p.events.map((e, i) => (kindOf(e.op).form === "syscall" ? i : -1)).filter((i) => i >= 0);
    switch (this.below(8)) {
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
        // another CPU count (cpu events beyond it are skipped at run time)
        p.cpus = 1 + this.below(4);
        return;
    }
  }
}
