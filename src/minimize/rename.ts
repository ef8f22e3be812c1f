// Names in a program (tasks tN, regions mN, files fN): enumerate them in order of first use and
// rename them. Driven by the event table's argument kinds, so new event kinds need nothing here.
import { kindOf } from "../program/table.js";
import type { Addr, Arg, Event, Mapping, Program, Value } from "../program/types.js";

export type NameSpace = "task" | "region" | "file";

export function cloneEvent(ev: Event): Event {
  const out: Event = { op: ev.op, args: ev.args.map((a) => (typeof a === "object" ? { ...a } : a)) as Arg[] };
  if (ev.task !== undefined) out.task = ev.task;
  if (ev.stop !== undefined) out.stop = ev.stop;
  return out;
}

export function cloneProgram(p: Program): Program {
  return { cpus: p.cpus, events: p.events.map(cloneEvent) };
}

/** Visit every name an event uses, in textual order; `f` returns the replacement. */
function mapEventNames(ev: Event, f: (ns: NameSpace, n: number) => number): Event {
  const kind = kindOf(ev.op);
  const out = cloneEvent(ev);
  if (out.task !== undefined) out.task = f("task", out.task);
  kind.args.forEach((a, i) => {
    const v = out.args[i];
    switch (a.k) {
      case "task":
        out.args[i] = f("task", v as number);
        break;
      case "region":
        out.args[i] = f("region", v as number);
        break;
      case "addr": {
        const ad = v as Addr;
        out.args[i] = { region: f("region", ad.region), off: ad.off };
        break;
      }
      case "value": {
        const val = v as Value;
        if (val.tid !== undefined) out.args[i] = { tid: f("task", val.tid), bits: val.bits };
        break;
      }
      case "mapping": {
        const m = v as Mapping;
        if (!m.anon) out.args[i] = { anon: false, file: f("file", m.file) };
        break;
      }
      default:
        break;
    }
  });
  return out;
}

export function mapNames(p: Program, f: (ns: NameSpace, n: number) => number): Program {
  return { cpus: p.cpus, events: p.events.map((ev) => mapEventNames(ev, f)) };
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

/** Events that create task x (spawn/fork-like kinds: a syscall whose task argument names it). */
export function createsTask(ev: Event, x: number): boolean {
  const kind = kindOf(ev.op);
  return kind.form === "syscall" && kind.args.some((a, i) => a.k === "task" && ev.args[i] === x);
}
