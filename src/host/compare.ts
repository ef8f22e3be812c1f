// Event-by-event comparison of a simulator run with a host run of the same program: return
// values, which calls were left blocked (a null return), which events ran at all, and the final
// user words of the live processes.
import { printEvent, printEventBody } from "../program/text.js";
import type { Program } from "../program/types.js";
import type { HostRun, Words } from "./runner.js";
import type { SimRun } from "./sim.js";

export type Difference =
  /** both ran program event `index`; the return values differ (null: never returned) */
  | { kind: "ret"; index: number; sim: number | null; host: number | null }
  /** only one side ran program event `index`; the other skipped it (`why` for the host's skips) */
  | { kind: "ran"; index: number; ranOn: "sim" | "host"; why?: string }
  /** a user word at quiescence (undefined: not mapped / no live process on that side) */
  | { kind: "word"; key: string; sim: number | undefined; host: number | undefined };

/** The program index of every syscall the simulator ran (its results are in program order). */
function simIndexes(p: Program, sim: SimRun, host: HostRun): (number | null)[] {
  const out: (number | null)[] = [];
  let s = 0;
  p.events.forEach((ev, i) => {
    const cur = sim.verdict.syscalls[s];
    if (ev.task === undefined || !cur) return;
    if (cur.task === ev.task && cur.event === printEventBody(ev)) {
      // a later identical event may be the one that ran: prefer the host's choice when it ran i
      const hostRan = host.index.includes(i);
      const later = p.events.findIndex((e, j) => j > i && e.task === ev.task && printEventBody(e) === cur.event);
      if (!hostRan && later >= 0 && host.index.includes(later) && !host.skipped.has(later)) return;
      out.push(i);
      s++;
    }
  });
  while (out.length < sim.verdict.syscalls.length) out.push(null);
  return out;
}

export function diffRuns(p: Program, sim: SimRun, host: HostRun): Difference[] {
  const diffs: Difference[] = [];
  const simAt = new Map<number, number | null>();
  simIndexes(p, sim, host).forEach((i, k) => i !== null && simAt.set(i, sim.verdict.syscalls[k]!.ret));
  const hostAt = new Map<number, number | null>();
  host.index.forEach((i, k) => hostAt.set(i, host.syscalls[k]!.ret));
  p.events.forEach((_ev, i) => {
    const a = simAt.has(i);
    const b = hostAt.has(i);
    if (a && b) {
      const x = simAt.get(i)!;
      const y = hostAt.get(i)!;
      if (x !== y) diffs.push({ kind: "ret", index: i, sim: x, host: y });
    } else if (a !== b) {
      const d: Difference = { kind: "ran", index: i, ranOn: a ? "sim" : "host" };
      const why = host.skipped.get(i);
      if (why) d.why = why;
      diffs.push(d);
    }
  });
  diffs.push(...diffWords(sim.words, host.words));
  return diffs;
}

function diffWords(sim: Words, host: Words): Difference[] {
  const keys = [...new Set([...sim.keys(), ...host.keys()])].sort();
  const out: Difference[] = [];
  for (const key of keys) {
    const a = sim.get(key);
    const b = host.get(key);
    if (a !== b) out.push({ kind: "word", key, sim: a, host: b });
  }
  return out;
}

function fmt(v: number | null | undefined): string {
  if (v === undefined) return "(absent)";
  if (v === null) return "(no return)";
  return v >= 0x10000 ? `0x${v.toString(16)}` : String(v);
}

export function describe(p: Program, d: Difference): string {
  switch (d.kind) {
    case "ret":
      return `event ${d.index + 1} '${printEvent(p.events[d.index]!)}': simulator ${fmt(d.sim)}, host ${fmt(d.host)}`;
    case "ran":
      return `event ${d.index + 1} '${printEvent(p.events[d.index]!)}': ran only on the ${d.ranOn}${d.why ? ` (host: ${d.why})` : ""}`;
    case "word":
      return `word ${d.key} at quiescence: simulator ${fmt(d.sim)}, host ${fmt(d.host)}`;
  }
}
