// Why 56180dd20c19 replaced rcuref_t, modelled: cache-line transfers of futex reference counting.
//
// A simulated run: N tasks on N CPUs (task tI on CPU I) share one mm with a private hash; each
// does the same private futex operation on its own word, round after round, with the CPUs'
// preemption points interleaved at random (seeded). A Kernel observer (KernelOptions.observer)
// sees every reference-count access of the real simulator: futex_ref_get/put reading fph->state,
// the this_cpu / __this_cpu read-modify-writes of the per-CPU counter, and the atomic
// read-modify-writes of mm->futex.phash.atomic in FR_ATOMIC. Those accesses drive a MESI-like
// model of the cache lines (a line moves when a CPU writes it while another CPU holds a copy, or
// reads it after another CPU wrote it):
//   futex-ref FR_PERCPU  the simulated v7.2 kernel, steady state: per-CPU counters, one line per
//                        CPU, and fph->state, read-mostly
//   futex-ref FR_ATOMIC  the same kernel while a resize is pending (a PR_FUTEX_HASH_SET_SLOTS
//                        waits for the old hash to die): get/put fall back to the shared atomic
//   rcuref_t (modelled)  the 6.16 design on the same access stream: every get and put is an
//                        atomic read-modify-write of fph->users, in the hash's header line (the
//                        one __futex_hash reads hash_mask from)
// Only reference-count lines are counted; the hash buckets are the same in all three.
import { execute } from "../../src/exec/executor.js";
import type { Kernel } from "../../src/kernel/kernel.js";
import { OBS, type Observe } from "../../src/kernel/hooks.js";
import type { FutexPrivateHash } from "../../src/kernel/futex/private.js";
import type { Mm } from "../../src/kernel/mm.js";
import type { CpuContext, PercpuU32 } from "../../src/kernel/percpu.js";
import type { LockOwner } from "../../src/kernel/sched.js";
import { parse } from "../../src/program/text.js";
import { xorshift } from "../../src/fuzzing/generative.js";

interface Line {
  /** bitmask of the CPUs holding a copy */
  sharers: number;
  /** the CPU holding it modified, or -1 */
  dirty: number;
  transfers: number;
}

/** A MESI-like directory of cache lines: counts accesses and line transfers between CPUs. */
export class LineModel {
  private readonly lines = new Map<unknown, Line>();
  accesses = 0;
  transfers = 0;

  private line(key: unknown): Line {
    let l = this.lines.get(key);
    if (!l) this.lines.set(key, (l = { sharers: 0, dirty: -1, transfers: 0 }));
    return l;
  }

  /** a load: the line moves if another CPU holds it modified */
  read(key: unknown, cpu: number): void {
    this.accesses++;
    const l = this.line(key);
    if (l.dirty >= 0 && l.dirty !== cpu) {
      l.transfers++;
      this.transfers++;
      l.dirty = -1;
    }
    l.sharers |= 1 << cpu;
  }

  /** a store or atomic read-modify-write: the line moves if any other CPU holds a copy */
  write(key: unknown, cpu: number): void {
    this.accesses++;
    const l = this.line(key);
    if (l.sharers & ~(1 << cpu)) {
      l.transfers++;
      this.transfers++;
    }
    l.sharers = 1 << cpu;
    l.dirty = cpu;
  }

  /** transfers of the busiest line (they serialize: one line moves one CPU at a time) */
  get hottest(): number {
    let m = 0;
    for (const l of this.lines.values()) m = Math.max(m, l.transfers);
    return m;
  }
}

export type CacheOp = "futex_wake" | "futex_wait";
export const CACHE_OPS: readonly CacheOp[] = ["futex_wake", "futex_wait"];

export interface CacheModelStats {
  /** reference-count accesses per futex operation */
  accessesPerOp: number;
  /** cache-line transfers per futex operation */
  transfersPerOp: number;
  /** transfers of the busiest line per round (one operation per CPU): the serialized part */
  hottestPerRound: number;
}

export interface CacheRow {
  cpus: number;
  op: CacheOp;
  /** operations counted (futex_ref_get calls in the measured events) */
  ops: number;
  rcuref: CacheModelStats;
  percpu: CacheModelStats;
  atomic: CacheModelStats;
  /** gets that saw FR_ATOMIC in the FR_ATOMIC run (all of them, if the resize stayed pending) */
  atomicGets: number;
}

/** The private futex word of task i (one per task; a different cache line each). */
const word = (i: number) => `m0+${i * 64}`;

/**
 * The program: a custom 16-slot private hash (so even one CPU has one and thread creation does
 * not resize it), N-1 threads, grace periods to settle; optionally a resize left pending (an
 * extra thread's SET_SLOTS 32 waits for the old hash to die: it is FR_ATOMIC until the next grace
 * period, and the program has none); then `rounds` rounds in which every task starts its
 * operation (@0) and the CPUs' preemption points are interleaved at random. Returns the text and
 * the measured event range.
 */
export function cacheProgram(cpus: number, op: CacheOp, rounds: number, seed: number, resizePending: boolean): { text: string; start: number; end: number } {
  const r = xorshift(seed);
  const lines = [`config cpus=${cpus}`, "t0 mmap m0 anon", "t0 hash_set_slots 16"];
  for (let i = 1; i < cpus; i++) lines.push(`t0 spawn t${i}`);
  lines.push("gp", "gp");
  if (resizePending) lines.push(`t0 spawn t${cpus}`, `t${cpus} hash_set_slots 32`);
  const start = lines.length - 1; // events are the lines after `config`
  // a private wake or a wait that returns -EAGAIN (the word is 0, not 1): ~10 points each
  const STEPS = 14;
  for (let round = 0; round < rounds; round++) {
    const steps: number[] = [];
    for (let i = 0; i < cpus; i++) {
      lines.push(op === "futex_wake" ? `t${i} futex_wake ${word(i)} 1 @0` : `t${i} futex_wait ${word(i)} 1 @0`);
      for (let s = 0; s < STEPS; s++) steps.push(i);
    }
    for (let j = steps.length - 1; j > 0; j--) {
      const x = r() % (j + 1);
      [steps[j], steps[x]] = [steps[x]!, steps[j]!];
    }
    // a step of a task that already returned is skipped
    for (const i of steps) lines.push(`step t${i} 1`);
  }
  for (let i = 0; i < cpus; i++) lines.push(`run t${i}`);
  return { text: lines.join("\n") + "\n", start, end: lines.length - 1 };
}

interface RunCounts {
  ops: number;
  atomicGets: number;
  futexRef: LineModel;
  rcuref: LineModel;
}

function cpuOf(ctx: LockOwner | null): number {
  return (ctx as CpuContext | null)?.cpu ?? 0;
}

/** Run a program with the cache-line observer on the events [start, end). */
export function countLines(text: string, start: number, end: number): RunCounts {
  const c: RunCounts = { ops: 0, atomicGets: 0, futexRef: new LineModel(), rcuref: new LineModel() };
  const observer = (k: Kernel): Observe => (site, ctx, obj) => {
    if (k.eventIndex < start || k.eventIndex >= end) return;
    const cpu = cpuOf(ctx);
    switch (site) {
      case OBS.REF_GET:
      case OBS.REF_PUT: {
        const fph = obj as FutexPrivateHash;
        if (site === OBS.REF_GET) {
          c.ops++;
          if (fph.frState !== 0) c.atomicGets++;
        }
        c.futexRef.read(fph, cpu); // READ_ONCE(fph->state)
        c.rcuref.write(fph, cpu); // rcuref_get / rcuref_put on fph->users
        return;
      }
      case OBS.PERCPU_RMW:
        c.futexRef.write(`percpu#${(obj as PercpuU32).hid}/cpu${cpu}`, cpu);
        return;
      case OBS.REF_ATOMIC:
        c.futexRef.write((obj as Mm).futex, cpu); // mm->futex.phash.atomic
        return;
    }
  };
  const v = execute(parse(text), { kernel: { observer } });
  if (v.findings.length) throw new Error(`cache-line program has a finding: ${v.findings[0]!.title}`);
  return c;
}

function stats(m: LineModel, ops: number, rounds: number): CacheModelStats {
  return { accessesPerOp: m.accesses / Math.max(ops, 1), transfersPerOp: m.transfers / Math.max(ops, 1), hottestPerRound: m.hottest / rounds };
}

export function cachelineBench(opts: { cpus?: readonly number[]; rounds?: number; seed?: number; ops?: readonly CacheOp[] } = {}): CacheRow[] {
  const rounds = opts.rounds ?? 64;
  const seed = opts.seed ?? 5;
  const rows: CacheRow[] = [];
  for (const op of opts.ops ?? CACHE_OPS)
    for (const cpus of opts.cpus ?? [1, 2, 4, 8]) {
      const p = cacheProgram(cpus, op, rounds, seed, false);
      const steady = countLines(p.text, p.start, p.end);
      const a = cacheProgram(cpus, op, rounds, seed, true);
      const resizing = countLines(a.text, a.start, a.end);
      rows.push({
        cpus,
        op,
        ops: steady.ops,
        rcuref: stats(steady.rcuref, steady.ops, rounds),
        percpu: stats(steady.futexRef, steady.ops, rounds),
        atomic: stats(resizing.futexRef, resizing.ops, rounds),
        atomicGets: resizing.atomicGets,
      });
    }
  return rows;
}

export function formatCachelines(rows: readonly CacheRow[]): string {
  const out = [
    "cache-line transfers of futex reference counting (MESI-like model on the simulated accesses; N tasks on N CPUs, private futexes, random interleaving):",
    "  op          CPUs   ops | rcuref_t (modelled)  | futex-ref FR_PERCPU  | FR_ATOMIC (resize pending)",
    "                         |   xfer/op  hot/round |   xfer/op  hot/round |   xfer/op  hot/round",
  ];
  const cell = (s: CacheModelStats) => `${s.transfersPerOp.toFixed(2).padStart(9)} ${s.hottestPerRound.toFixed(2).padStart(10)}`;
  for (const r of rows)
    out.push(`  ${r.op.padEnd(11)} ${String(r.cpus).padStart(4)} ${String(r.ops).padStart(5)} | ${cell(r.rcuref)} | ${cell(r.percpu)} | ${cell(r.atomic)}`);
  out.push(
    "  xfer/op: line transfers per operation; hot/round: transfers of the busiest line per round of one operation per CPU",
    "  (one line moves between CPUs one at a time, so this is the serialized part). rcuref_t bounces one line on every get",
    "  and put and the busiest line's share grows with the CPUs; per-CPU counters stay on their CPU. The atomic fallback",
    "  costs what rcuref_t did, but only while a resize is pending.",
  );
  return out.join("\n");
}
