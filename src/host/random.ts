// Random programs from the part of the format the host runs exactly: seeded bytes through the
// fuzzers' own decoder (with the event table cut down to host-runnable kinds), `@k` stops
// dropped, and the machine's CPU count (hash auto-scaling depends on it).
import { decode } from "../program/codec.js";
import { EVENT_KINDS } from "../program/table.js";
import type { Program } from "../program/types.js";
import { randomBytes, rng } from "../../scripts/bench/util.js";

/** Kinds with no exact host meaning (see plan.ts). */
const HOST_LESS = new Set(["step", "run", "irq", "fail_alloc"]);
export const HOST_KINDS = EVENT_KINDS.filter((k) => !HOST_LESS.has(k.name));

/** The i-th program of a seeded stream: a pure function of (seed, i, cpus). */
export function randomHostProgram(seed: number, i: number, cpus: number): Program {
  const r = rng((seed * 0x9e3779b1 + i * 0x85ebca6b + 1) >>> 0);
  const len = 8 + (r() % 56);
  const p = decode(randomBytes(r, len), HOST_KINDS);
  for (const ev of p.events) delete ev.stop;
  return { cpus, events: p.events };
}
