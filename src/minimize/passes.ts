// Minimization passes. Each takes the current program and a memoized, budgeted `test` and
// returns a program that still passes it (the input itself when nothing helps). Argument passes
// read the event table, so they cover every event kind, including rows added later.
import { VALUE_DICT, argValues, isAddr, isMapping, isValue, kindOf, type Arg, type ArgKind } from "../program/events.js";
import { FUTEX_OWNER_DIED, FUTEX_WAITERS, type Addr, type Event, type Program, type Value } from "../program/types.js";
import { ddmin, removeOneByOne, shrinkInt } from "./ddmin.js";
import { canonicalRename, cloneEvent, createsTask, mergeTask, namesInOrder, withArgValue, type NameSpace } from "./rename.js";

export interface Ctx {
  /** memoized and budgeted predicate: false once the budget is spent */
  test(p: Program): boolean;
}

export type Pass = (p: Program, ctx: Ctx) => Program;

function withEvents(p: Program, events: Event[]): Program {
  return { ...p, events };
}

function withEvent(p: Program, i: number, ev: Event): Program {
  const events = p.events.slice();
  events[i] = ev;
  return { ...p, events };
}

function withArg(p: Program, i: number, j: number, v: Arg): Program {
  return withEvent(p, i, withArgValue(p.events[i]!, j, v));
}

/** ddmin over the event list (coarse). */
export const ddminEvents: Pass = (p, ctx) => withEvents(p, ddmin(p.events, (evs) => ctx.test(withEvents(p, evs))));

/** Remove single events until none can go: the result is 1-minimal w.r.t. event removal. */
export const removeEvents: Pass = (p, ctx) => withEvents(p, removeOneByOne(p.events, (evs) => ctx.test(withEvents(p, evs))));

/** Machine steering that is often noise (the registry's `noise` kinds): drop all of it at once. */
export const dropControls: Pass = (p, ctx) => {
  const events = p.events.filter((e) => !kindOf(e.op).noise);
  return events.length < p.events.length && ctx.test(withEvents(p, events)) ? withEvents(p, events) : p;
};

/** `@k` stops: remove them (run to completion), else lower k. */
export const shrinkStops: Pass = (p, ctx) => {
  let cur = p;
  for (let i = 0; i < cur.events.length; i++) {
    const ev = cur.events[i]!;
    if (ev.stop === undefined) continue;
    const noStop = cloneEvent(ev);
    delete noStop.stop;
    if (ctx.test(withEvent(cur, i, noStop))) {
      cur = withEvent(cur, i, noStop);
      continue;
    }
    const base = cur;
    const at = (k: number) => withEvent(base, i, { ...cloneEvent(ev), stop: k });
    const k = shrinkInt(ev.stop, 0, (k) => ctx.test(at(k)));
    if (k !== ev.stop) cur = at(k);
  }
  return cur;
};

/** Fewer CPUs. */
export const shrinkCpus: Pass = (p, ctx) => {
  const c = shrinkInt(p.cpus, 1, (c) => ctx.test({ ...p, cpus: c }));
  const q = c === p.cpus ? p : { ...p, cpus: c };
  if (q.nodes === undefined) return q;
  const one = { cpus: q.cpus, events: q.events };
  return ctx.test(one) ? one : q;
};

/** Merge tasks: tX becomes an earlier tY (first without the events that create tX, then with). */
export const mergeTasks: Pass = (p, ctx) => {
  let cur = p;
  for (let merged = true; merged; ) {
    merged = false;
    const tasks = namesInOrder(cur, "task");
    search: for (let xi = tasks.length - 1; xi >= 1; xi--) {
      const x = tasks[xi]!;
      for (let yi = 0; yi < xi; yi++) {
        const y = tasks[yi]!;
        const dropped = withEvents(cur, cur.events.filter((e) => !createsTask(e, x)));
        for (const cand of [mergeTask(dropped, x, y), mergeTask(cur, x, y)]) {
          if (ctx.test(cand)) {
            cur = cand;
            merged = true;
            break search;
          }
        }
      }
    }
  }
  return cur;
};

/**
 * Shrink a number toward `min`: values in `dict` only move to smaller dict values (a dict value
 * is meaningful, 0x7fffffff should not become 0x3fffffff); other values try the dict, then bisect.
 */
function shrinkNumber(v: number, min: number, dict: readonly number[], ok: (n: number) => boolean): number {
  if (v <= min) return v;
  const smaller = [...new Set([min, ...dict])].filter((d) => d >= min && d < v).sort((a, b) => a - b);
  for (const d of smaller) if (ok(d)) return d === min ? d : shrinkNumber(d, min, dict, ok);
  return dict.includes(v) ? v : shrinkInt(v, min, ok);
}

function shrinkArg(cur: Program, i: number, j: number, a: ArgKind, ctx: Ctx): Program {
  const v = argValues(cur.events[i]!)[j]!;
  let best = cur;
  const ok = (x: Arg): boolean => {
    const cand = withArg(cur, i, j, x);
    if (!ctx.test(cand)) return false;
    best = cand;
    return true;
  };
  switch (a.k) {
    case "int":
      if (typeof v === "number") shrinkNumber(v, a.min, a.dict, ok);
      break;
    case "addr": {
      if (!isAddr(v)) break;
      const ad = v;
      let off = ad.off;
      if (off % 4 && ok({ region: ad.region, off: off & ~3 })) off &= ~3;
      if (off % 4 === 0) shrinkInt(off / 4, 0, (w) => ok({ region: ad.region, off: w * 4 }));
      else shrinkInt(off, 0, (o) => ok({ region: ad.region, off: o }));
      break;
    }
    case "value": {
      if (!isValue(v)) break;
      const val = v;
      if (val.tid === undefined) {
        shrinkNumber(val.bits >>> 0, 0, VALUE_DICT, (b) => ok({ bits: b }));
        break;
      }
      if (ok({ bits: 0 })) break;
      let bits = val.bits >>> 0;
      for (const flag of [FUTEX_WAITERS, FUTEX_OWNER_DIED])
        if (bits & flag && ok({ tid: val.tid, bits: (bits & ~flag) >>> 0 })) bits = (bits & ~flag) >>> 0;
      break;
    }
    case "mapping":
      if (isMapping(v) && !v.anon) ok({ anon: true });
      break;
    case "flag":
      if (v === true) ok(false);
      break;
    case "enum":
      if (v !== a.values[0]) ok(a.values[0]!);
      break;
    case "task":
    case "region":
      break; // names: merged and renamed by their own passes
  }
  return best;
}

/** Simplify every argument: ints toward their minimum/dictionary, offsets and values toward 0. */
export const shrinkArgs: Pass = (p, ctx) => {
  let cur = p;
  for (let i = 0; i < cur.events.length; i++) {
    const kind = kindOf(cur.events[i]!.op);
    kind.args.forEach((a, j) => {
      cur = shrinkArg(cur, i, j, a, ctx);
    });
  }
  return cur;
};

/** Replace, in every event, each argument of kind `k` that `match`es by `to(arg)`. */
function mapArgs(p: Program, k: "addr" | "value", match: (a: Arg) => boolean, to: Addr | Value): Program {
  return withEvents(
    p,
    p.events.map((ev) => {
      const kind = kindOf(ev.op);
      let out = ev;
      argValues(ev).forEach((v, j) => {
        if (kind.args[j]!.k === k && match(v)) out = withArgValue(out, j, { ...to });
      });
      return out;
    }),
  );
}

function argsOfKind(p: Program, k: "addr" | "value"): Arg[] {
  const out: Arg[] = [];
  for (const ev of p.events) {
    const values = argValues(ev);
    kindOf(ev.op).args.forEach((a, j) => a.k === k && out.push(values[j]!));
  }
  return out;
}

/**
 * Coupled simplification: one address (or one plain value) used by several events moves
 * everywhere at once, so `futex_wait m0+40` and `futex_wake m0+40` both become `m0+0`, and
 * `store m0+0 5` / `futex_wait m0+0 5` both become 0.
 */
export const shrinkShared: Pass = (p, ctx) => {
  let cur = p;
  const addrs = new Map<string, Addr>();
  for (const a of argsOfKind(p, "addr")) if (isAddr(a)) addrs.set(`${a.region}+${a.off}`, a);
  for (const { region, off: off0 } of addrs.values()) {
    let off = off0;
    const moved = (o: number) => mapArgs(cur, "addr", (a) => isAddr(a) && a.region === region && a.off === off, { region, off: o });
    const tryOff = (o: number): boolean => {
      const cand = moved(o);
      if (!ctx.test(cand)) return false;
      cur = cand;
      off = o;
      return true;
    };
    if (off % 4) tryOff(off & ~3);
    if (off % 4 === 0) shrinkInt(off / 4, 0, (w) => tryOff(w * 4));
    else shrinkInt(off, 0, tryOff);
  }
  const values = new Set<number>();
  for (const v of argsOfKind(p, "value")) if (isValue(v) && v.tid === undefined && v.bits !== 0) values.add(v.bits >>> 0);
  for (const b0 of values) {
    let bits = b0;
    shrinkNumber(b0, 0, VALUE_DICT, (b) => {
      const cand = mapArgs(cur, "value", (v) => isValue(v) && v.tid === undefined && v.bits >>> 0 === bits, { bits: b });
      if (!ctx.test(cand)) return false;
      cur = cand;
      bits = b;
      return true;
    });
  }
  return cur;
};

/**
 * Canonical names: t0 stays, other tasks t1, t2… in order of first use; regions m0…, files f0….
 * All spaces at once, else one space at a time; kept only when the predicate still holds.
 */
export const renameCanonical: Pass = (p, ctx) => {
  const all = canonicalRename(p);
  if (ctx.test(all)) return all;
  let cur = p;
  const spaces: NameSpace[] = ["task", "region", "file"];
  for (const ns of spaces) {
    const cand = canonicalRename(cur, [ns]);
    if (ctx.test(cand)) cur = cand;
  }
  return cur;
};
