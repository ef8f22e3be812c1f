// Names in a program (tasks tN, regions mN, files fN): enumerate them in order of first use and
// rename them. Driven by the event table's argument kinds, so new event kinds need nothing here.
import { argValues, isAddr, isMapping, isValue, kindOf, makeEvent, type Arg } from "../program/events.js";
import type { Event, Program } from "../program/types.js";

export type NameSpace = "task" | "region" | "file";

function cloneArg(a: Arg): Arg {
  return typeof a === "object" ? { ...a } : a;
}

export function cloneEvent(ev: Event): Event {
  return makeEvent(ev.op, argValues(ev).map(cloneArg), ev.task, ev.stop);
}

/** `ev` with argument j replaced by `v` (checked against the kind's argument type). */
export function withArgValue(ev: Event, j: number, v: Arg): Event {
  const values = argValues(ev).map(cloneArg);
  values[j] = v;
  return makeEvent(ev.op, values, ev.task, ev.stop);
}

export function cloneProgram(p: Program): Program {
  return { ...p, events: p.events.map(cloneEvent) };
}

/** Visit every name an event uses, in textual order; `f` returns the replacement. */
function mapEventNames(ev: Event, f: (ns: NameSpace, n: number) => number): Event {
  const kind = kindOf(ev.op);
  const task = ev.task === undefined ? undefined : f("task", ev.task);
  const values = argValues(ev).map((v, i): Arg => {
    const a = kind.args[i]!;
    if ((a.k === "task" || a.k === "region") && typeof v === "number") return f(a.k, v);
    if (a.k === "addr" && isAddr(v)) return { region: f("region", v.region), off: v.off };
    if (a.k === "value" && isValue(v)) return v.tid === undefined ? { ...v } : { tid: f("task", v.tid), bits: v.bits };
    if (a.k === "mapping" && isMapping(v)) return v.anon ? { anon: true } : { anon: false, file: f("file", v.file) };
    return cloneArg(v);
  });
  return makeEvent(ev.op, values, task, ev.stop);
}

export function mapNames(p: Program, f: (ns: NameSpace, n: number) => number): Program {
  return { ...p, events: p.events.map((ev) => mapEventNames(ev, f)) };
}

/** Names of one space in order of first use (t0 always first for tasks: it is the initial task). */
export function namesInOrder(p: Program, ns: NameSpace): number[] {
  const seen: number[] = ns === "task" ? [0] : [];
  for (const ev of p.events)
    mapEventNames(ev, (s, n) => {
      if (s === ns && !seen.includes(n)) seen.push(n);
      return n;
    });
  return seen;
}

/** Rename one space canonically: the i-th name in order of first use becomes i. */
export function canonicalRename(p: Program, spaces: readonly NameSpace[] = ["task", "region", "file"]): Program {
  const maps = new Map<NameSpace, Map<number, number>>();
  for (const ns of spaces) maps.set(ns, new Map(namesInOrder(p, ns).map((n, i) => [n, i])));
  return mapNames(p, (ns, n) => maps.get(ns)?.get(n) ?? n);
}

/** Merge task x into task y: every reference to tx becomes ty. */
export function mergeTask(p: Program, x: number, y: number): Program {
  return mapNames(p, (ns, n) => (ns === "task" && n === x ? y : n));
}

/** Events that create task x: a task argument whose role is `creates` names it (spawn, fork). */
export function createsTask(ev: Event, x: number): boolean {
  const values = argValues(ev);
  return kindOf(ev.op).args.some((a, i) => a.k === "task" && a.role === "creates" && values[i] === x);
}
