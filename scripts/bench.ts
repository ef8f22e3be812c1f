// npm run bench [-- --json] [--seconds S]: throughput figures and ratios measured in one run.
//   executor: preemption points per second on generated programs, next to a bare generator
//             resume loop (the floor cost of one point), and their ratio
//   targets:  in-process execs/s of each fuzz target body on pseudo-random inputs (sync)
//   length:   cost growth with program length (16/64/256 events)
import { performance } from "node:perf_hooks";
import { AREAS, makeTarget } from "../fuzz/target.js";
import { decode } from "../src/program/codec.js";
import { execute } from "../src/exec/executor.js";
import type { Program } from "../src/program/types.js";

const argv = process.argv.slice(2);
if (argv.includes("--help")) {
  process.stdout.write("usage: npm run bench -- [--json] [--seconds S]\n");
  process.exit(0);
}
const json = argv.includes("--json");
const si = argv.indexOf("--seconds");
const SECONDS = si >= 0 ? Number(argv[si + 1]) : 3;

/** xorshift32: deterministic inputs for the benchmark (not used by the simulator). */
function rng(seed: number): () => number {
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

function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r() & 0xff;
  return b;
}

/** Programs from random bytes, preceded by a mapping so most events do work. */
function programs(count: number, len: number, seed: number): Program[] {
  const r = rng(seed);
  const out: Program[] = [];
  while (out.length < count) {
    const p = decode(randomBytes(r, len * 6));
    p.events = [{ op: "mmap", task: 0, args: [0, { anon: true }] }, { op: "spawn", task: 0, args: [1] }, ...p.events.slice(0, len)];
    out.push(p);
  }
  return out;
}

function timeFor(seconds: number, body: () => number): { rate: number; units: number; secs: number } {
  const t0 = performance.now();
  let units = 0;
  let now = t0;
  while (now - t0 < seconds * 1000) {
    units += body();
    now = performance.now();
  }
  const secs = (now - t0) / 1000;
  return { rate: units / secs, units, secs };
}

function* bare(n: number): Generator<string, number, void> {
  for (let i = 0; i < n; i++) yield "point";
  return n;
}

function executorBench() {
  const progs = programs(200, 64, 7);
  let i = 0;
  const exec = timeFor(SECONDS, () => execute(progs[i++ % progs.length]!).stats.points);
  const loop = timeFor(SECONDS, () => {
    let n = 0;
    const g = bare(10_000);
    while (!g.next().done) n++;
    return n;
  });
  return { pointsPerSecond: exec.rate, barePointsPerSecond: loop.rate, bareRatio: loop.rate / exec.rate };
}

function targetBench() {
  const out: Record<string, { execsPerSecond: number }> = {};
  for (const name of Object.keys(AREAS)) {
    const fuzz = makeTarget(name);
    const r = rng(11);
    const inputs = Array.from({ length: 500 }, () => Buffer.from(randomBytes(r, 8 + (r() % 120))));
    let i = 0;
    const t = timeFor(SECONDS / 2, () => {
      fuzz(inputs[i++ % inputs.length]!);
      return 1;
    });
    out[name] = { execsPerSecond: t.rate };
  }
  return out;
}

function lengthBench() {
  const out: Record<string, { execsPerSecond: number; pointsPerExec: number }> = {};
  for (const len of [16, 64, 256]) {
    const progs = programs(100, len, 3);
    let i = 0;
    let points = 0;
    const t = timeFor(SECONDS / 2, () => {
      points += execute(progs[i++ % progs.length]!).stats.points;
      return 1;
    });
    out[String(len)] = { execsPerSecond: t.rate, pointsPerExec: points / t.units };
  }
  return out;
}

const result = { executor: executorBench(), targets: targetBench(), length: lengthBench() };
if (json) process.stdout.write(JSON.stringify(result) + "\n");
else {
  const f = (n: number) => Math.round(n).toLocaleString("en-US");
  const e = result.executor;
  console.log(`executor: ${f(e.pointsPerSecond)} preemption points/s; bare generator loop ${f(e.barePointsPerSecond)}/s; ratio ${e.bareRatio.toFixed(1)}x`);
  for (const [n, t] of Object.entries(result.targets)) console.log(`target ${n.padEnd(15)} ${f(t.execsPerSecond)} execs/s (in-process, sync)`);
  const l = result.length;
  for (const [n, t] of Object.entries(l)) console.log(`length ${n.padStart(3)} events: ${f(t.execsPerSecond)} execs/s, ${t.pointsPerExec.toFixed(0)} points/exec`);
  console.log(`cost growth 16 -> 256 events: ${(l["16"]!.execsPerSecond / l["256"]!.execsPerSecond).toFixed(1)}x slower per exec`);
}
