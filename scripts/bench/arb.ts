// fast-check arbitraries for programs, derived from the event table (one table drives all). They
// live here, outside src/ (fast-check is a devDependency), so that both the tests (test/arb.ts
// re-exports them) and the time-to-bug benchmark (its fast-check engine) can import them.
import fc from "fast-check";
import { EVENT_KINDS, LIMITS, VALUE_DICT, VALUES, makeEvent, type Arg, type ArgKind, type EventKind } from "../../src/program/events.js";
import type { Event, Program } from "../../src/program/types.js";

export interface ArbOptions {
  kinds?: readonly EventKind[];
  maxEvents?: number;
  tasks?: number;
  regions?: number;
  /** probability-ish weight of @k stops: 0 = never */
  stops?: boolean;
}

function arbArg(a: ArgKind, o: Required<Omit<ArbOptions, "kinds" | "maxEvents" | "stops">>): fc.Arbitrary<Arg> {
  const task = fc.nat({ max: o.tasks - 1 });
  const region = fc.nat({ max: o.regions - 1 });
  switch (a.k) {
    case "task":
      return task;
    case "region":
      return region;
    case "addr":
      return fc.record({
        region,
        off: fc.oneof({ weight: 5, arbitrary: fc.nat({ max: 31 }).map((n) => n * 4) }, { weight: 1, arbitrary: fc.nat({ max: 4095 }) }),
      });
    case "value":
      return fc.oneof(
        fc.record({ bits: fc.constantFrom(...VALUE_DICT) }),
        fc.record({ tid: task, bits: fc.constantFrom(...VALUES.tidBits) }),
        fc.record({ bits: fc.nat({ max: 0xffffffff }) }),
      );
    case "mapping":
      return fc.oneof(fc.constant({ anon: true as const }), fc.record({ anon: fc.constant(false as const), file: fc.nat({ max: LIMITS.files - 1 }) }));
    case "int":
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...a.dict) }, { weight: 1, arbitrary: fc.integer({ min: a.min, max: a.max }) });
    case "enum":
      return fc.constantFrom(...a.values);
    case "flag":
      return fc.boolean();
  }
}

export function arbEvent(opts: ArbOptions = {}): fc.Arbitrary<Event> {
  const o = { tasks: opts.tasks ?? 4, regions: opts.regions ?? 3 };
  const kinds: readonly EventKind[] = opts.kinds ?? EVENT_KINDS;
  return fc.constantFrom(...kinds).chain((kind) => {
    const args = fc.tuple(...kind.args.map((a) => arbArg(a, o)));
    const task = fc.nat({ max: o.tasks - 1 });
    const stop = kind.form === "syscall" && opts.stops !== false ? fc.option(fc.nat({ max: 12 }), { freq: 3 }) : fc.constant(null);
    return fc.tuple(args, task, stop).map(([as, t, s]): Event => makeEvent(kind.name, as, kind.form === "syscall" || kind.taskOperand ? t : undefined, s ?? undefined));
  });
}

export function arbProgram(opts: ArbOptions = {}): fc.Arbitrary<Program> {
  return fc.record({
    cpus: fc.integer({ min: 1, max: LIMITS.cpus }),
    events: fc.array(arbEvent(opts), { maxLength: opts.maxEvents ?? 24 }),
  });
}

/** Programs that start by mapping memory, so most later events do something. */
export function arbUsefulProgram(opts: ArbOptions = {}): fc.Arbitrary<Program> {
  return arbProgram(opts).map((p) => ({
    cpus: p.cpus,
    events: [
      { op: "mmap", task: 0, args: { region: 0, map: { anon: true } } },
      { op: "mmap", task: 0, args: { region: 1, map: { anon: false, file: 0 } } },
      ...p.events,
    ],
  }));
}
