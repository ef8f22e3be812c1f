// A mutation class of the generative engine: remap the page under a live futex word. The kernel
// reads and writes user memory long after a syscall named it (an unlock's pending op, an exit's
// robust-list walk, a requeue's second word), so a program whose word's page is replaced by a
// file page in between is a bug class of its own: the kernel then acts on file data the program
// wrote. The mutation builds one such program from any program that names a futex word A =
// mX+off:
//
//   t0 mmap mY file fZ          early (at or before A's first use), mY a region the program does not name
//   t0 store mY+off V           the file's word at A's offset: a value from the program's vocabulary
//   ...                         (the TID of a task that uses A, a value stored to A, a dictionary constant)
//   tR mmap mX file fZ          later: after one of A's uses, by another task than that use's
//
// It knows no bug: A, V, fZ and both positions are drawn from the program and the dictionary.
import { LIMITS, VALUES, kindOf } from "../program/events.js";
import type { Addr, Arg, Event, Program, Value } from "../program/types.js";

/** one event naming a word: where, which word, by which task */
interface Use {
  at: number;
  addr: Addr;
  task: number;
  /** a store's value (the word's role in the program) */
  value?: Value;
}

/** memory events: they name words, but a futex word is one a futex syscall names */
const MEMORY = new Set(["store", "load"]);

function uses(p: Program): Use[] {
  const out: Use[] = [];
  p.events.forEach((e, at) => {
    if (kindOf(e.op).form !== "syscall") return;
    const args: Readonly<Record<string, Arg | undefined>> = { ...e.args };
    for (const a of kindOf(e.op).args) {
      const v = args[a.name];
      if (a.k !== "addr" || typeof v !== "object" || !("off" in v)) continue;
      const u: Use = { at, addr: v, task: e.task ?? 0 };
      if (e.op === "store") u.value = e.args.value;
      out.push(u);
    }
  });
  return out;
}

/** the regions and files a program names */
function names(p: Program): { regions: Set<number>; files: number[] } {
  const regions = new Set<number>();
  const files: number[] = [];
  for (const e of p.events)
    for (const v of Object.values(e.args)) {
      if (typeof v === "number") continue;
      if (typeof v === "object" && "off" in v) regions.add(v.region);
      else if (typeof v === "object" && "anon" in v && !v.anon && !files.includes(v.file)) files.push(v.file);
    }
  // region operands (mmap, munmap) are plain numbers: read them by their kind
  for (const e of p.events) {
    const args: Readonly<Record<string, Arg | undefined>> = { ...e.args };
    for (const a of kindOf(e.op).args) {
      const v = args[a.name];
      if (a.k === "region" && typeof v === "number") regions.add(v);
    }
  }
  return { regions, files };
}

/**
 * Remap the page under one of `p`'s futex words (in place); false when `p` has no word, no free
 * region, or no room for three more events. `below(n)` is the engine's PRNG in [0, n).
 */
export function remapUnder(p: Program, below: (n: number) => number, maxEvents: number): boolean {
  if (p.events.length + 3 > maxEvents) return false;
  const all = uses(p);
  const futex = all.filter((u) => !MEMORY.has(p.events[u.at]!.op));
  const pool = futex.length > 0 ? futex : all;
  if (pool.length === 0) return false;
  const pick = <T>(xs: readonly T[]): T => xs[below(xs.length)]!;
  const a = pick(pool).addr;
  const same = all.filter((u) => u.addr.region === a.region && u.addr.off === a.off);
  const { regions, files } = names(p);
  let y = 0;
  while (y < LIMITS.regions && regions.has(y)) y++;
  if (y === LIMITS.regions) return false;
  const file = files.length > 0 && below(2) === 0 ? pick(files) : below(2);
  const value = wordValue(same.filter((u) => !MEMORY.has(p.events[u.at]!.op)), same, below);
  // early: the file page and its word, by t0 (it exists from the start) before A's first use
  const first = same[0]!.at;
  const early = below(first + 1);
  p.events.splice(
    early,
    0,
    { op: "mmap", task: 0, args: { region: y, map: { anon: false, file } } },
    { op: "store", task: 0, args: { addr: { region: y, off: a.off }, value } },
  );
  // later: right after one of A's uses (half the time), else anywhere after the first
  const use = pick(same);
  const after = use.at + 2;
  const at = below(2) === 0 ? after + 1 : first + 3 + below(p.events.length - first - 2);
  const others = [...new Set(p.events.map((e) => e.task ?? 0))].filter((t) => t !== use.task);
  const task = others.length > 0 ? pick(others) : 0;
  const remap: Event = { op: "mmap", task, args: { region: a.region, map: { anon: false, file } } };
  p.events.splice(at, 0, remap);
  return true;
}

/** V: the TID of a task that uses the word, a value stored to it, or a dictionary constant */
function wordValue(futex: readonly Use[], same: readonly Use[], below: (n: number) => number): Value {
  const pick = <T>(xs: readonly T[]): T => xs[below(xs.length)]!;
  const stored = same.flatMap((u) => (u.value ? [u.value] : []));
  const c = below(4);
  if (c === 2 && stored.length > 0) return { ...pick(stored) };
  if (c === 3) return { bits: pick(below(2) === 0 ? VALUES.small : VALUES.constants) };
  const owners = (futex.length > 0 ? futex : same).map((u) => u.task);
  return { tid: pick(owners), bits: below(2) === 0 ? 0 : pick(VALUES.tidBits) };
}
