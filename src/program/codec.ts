// The byte codec: decode maps ANY byte string to a program (total), encode maps a program to
// bytes that decode back to it. Mutation power lives here: operands are mostly picked among names
// already used, offsets are mostly aligned, values come from a small dictionary.
//
// Layout: [cpus | (nodes - 1) << 3] then per event: [kind] [task?] [args...] [stop?]; bytes past the end read as 0.
import { EVENT_KINDS, LIMITS, VALUES, argValues, isAddr, isMapping, isValue, eventOf, kindOf, type Arg, type ArgKind, type EventKind } from "./events.js";
import type { Addr, Event, Mapping, Program } from "./types.js";

const CPUS: readonly number[] = [2, 1, 3, 4, 5, 6, 7, 8];
/** value codes (VALUES): 0..3 small ints; 4..7 a tid with tidBits; 8..10 constants; 11+ raw u32 */
const TID_CODE = VALUES.small.length;
const CONST_CODE = TID_CODE + VALUES.tidBits.length;
const VALUE_RAW = CONST_CODE + VALUES.constants.length;
const TID_BITS: readonly number[] = VALUES.tidBits;
const VALUE_CONST: readonly number[] = VALUES.constants;

class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
  byte(): number {
    return this.pos < this.bytes.length ? this.bytes[this.pos++]! : (this.pos++, 0);
  }
  le(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v += this.byte() * 2 ** (8 * i);
    return v;
  }
}

/** Names already used, in order of first use: operands are mostly picked among them. */
class Names {
  readonly tasks: number[] = [0];
  readonly regions: number[] = [];
  note(list: number[], n: number): number {
    if (!list.includes(n)) list.push(n);
    return n;
  }
}

function readRef(r: Reader, known: number[], limit: number, names: Names): number {
  const b = r.byte();
  const n = b & 0x80 || known.length === 0 ? (b & 0x7f) % limit : known[b % known.length]!;
  return names.note(known, n);
}

function writeRef(out: number[], known: number[], limit: number, n: number, names: Names): void {
  const i = known.indexOf(n);
  out.push(i >= 0 && i < 0x80 ? i : 0x80 | n % limit);
  names.note(known, n);
}

function readInt(r: Reader, a: Extract<ArgKind, { k: "int" }>): number {
  const code = r.byte() % (a.dict.length + 1);
  if (code < a.dict.length) return a.dict[code]!;
  return (r.le(4) % (a.max - a.min + 1)) + a.min;
}

function writeInt(out: number[], a: Extract<ArgKind, { k: "int" }>, v: number): void {
  const i = a.dict.indexOf(v);
  if (i >= 0) return void out.push(i);
  out.push(a.dict.length);
  pushLE(out, v - a.min, 4);
}

function pushLE(out: number[], v: number, n: number): void {
  for (let i = 0; i < n; i++) out.push(Math.floor(v / 2 ** (8 * i)) & 0xff);
}

function readArg(r: Reader, a: ArgKind, names: Names): Arg {
  switch (a.k) {
    case "task":
      return readRef(r, names.tasks, LIMITS.tasks, names);
    case "region":
      return readRef(r, names.regions, LIMITS.regions, names);
    case "addr": {
      const region = readRef(r, names.regions, LIMITS.regions, names);
      const o = r.byte();
      const off = o & 0x80 ? ((o & 0x0f) << 8) | r.byte() : (o & 0x7f) * 4;
      return { region, off } satisfies Addr;
    }
    case "value": {
      const code = r.byte() & 0x0f;
      if (code < TID_CODE) return { bits: VALUES.small[code]! };
      if (code < CONST_CODE) return { tid: readRef(r, names.tasks, LIMITS.tasks, names), bits: TID_BITS[code - TID_CODE]! };
      if (code < VALUE_RAW) return { bits: VALUE_CONST[code - CONST_CODE]! };
      return { bits: r.le(4) >>> 0 };
    }
    case "mapping": {
      const b = r.byte();
      return (b & 1 ? { anon: false, file: (b >> 1) % LIMITS.files } : { anon: true }) satisfies Mapping;
    }
    case "int":
      return readInt(r, a);
    case "enum":
      return a.values[r.byte() % a.values.length]!;
    case "flag":
      return (r.byte() & 1) === 1;
  }
}

function writeArg(out: number[], a: ArgKind, v: Arg, names: Names): void {
  const bad = (): never => {
    throw new Error(`cannot encode ${JSON.stringify(v)} as a ${a.k} argument`);
  };
  switch (a.k) {
    case "task":
      return typeof v === "number" ? writeRef(out, names.tasks, LIMITS.tasks, v, names) : bad();
    case "region":
      return typeof v === "number" ? writeRef(out, names.regions, LIMITS.regions, v, names) : bad();
    case "addr": {
      if (!isAddr(v)) return bad();
      writeRef(out, names.regions, LIMITS.regions, v.region, names);
      if (v.off % 4 === 0 && v.off < 512) out.push(v.off / 4);
      else out.push(0x80 | (v.off >> 8), v.off & 0xff);
      return;
    }
    case "value": {
      if (!isValue(v)) return bad();
      if (v.tid !== undefined) {
        out.push(TID_CODE + TID_BITS.indexOf(v.bits >>> 0));
        return writeRef(out, names.tasks, LIMITS.tasks, v.tid, names);
      }
      const bits = v.bits >>> 0;
      const small = VALUES.small.findIndex((x) => x === bits);
      if (small >= 0) return void out.push(small);
      const c = VALUE_CONST.indexOf(bits);
      if (c >= 0) return void out.push(CONST_CODE + c);
      out.push(VALUE_RAW);
      return pushLE(out, bits, 4);
    }
    case "mapping":
      if (!isMapping(v)) return bad();
      return void out.push(v.anon ? 0 : 1 | (v.file << 1));
    case "int":
      return typeof v === "number" ? writeInt(out, a, v) : bad();
    case "enum":
      return typeof v === "string" ? void out.push(a.values.indexOf(v)) : bad();
    case "flag":
      return void out.push(v ? 1 : 0);
  }
}

/** stop byte: < 0x80 none; 0x80..0xfe: @(b-0x80); 0xff: @(next two bytes LE mod 1001) */
function readStop(r: Reader): number | undefined {
  const b = r.byte();
  if (b < 0x80) return undefined;
  if (b < 0xff) return b - 0x80;
  return r.le(2) % (LIMITS.stop + 1);
}

function writeStop(out: number[], stop: number | undefined): void {
  if (stop === undefined) out.push(0);
  else if (stop < 0x7f) out.push(0x80 + stop);
  else out.push(0xff, stop & 0xff, stop >> 8);
}

/**
 * The node count is only read from the bytes when the kinds can make a NUMA futex (a `numa`
 * flag): without one, more nodes only reshuffle the global hash, and the bytes of the targets
 * that have none keep meaning what they meant.
 */
function hasNuma(kinds: readonly EventKind[]): boolean {
  return kinds.some((k) => k.args.some((a) => a.k === "flag" && a.word === "numa"));
}

/**
 * Total: every byte string is a program. `kinds` restricts the event kinds a fuzz target draws
 * from (the fuzz targets); encode must be given the same list.
 */
export function decode(bytes: Uint8Array, kinds: readonly EventKind[] = EVENT_KINDS): Program {
  const r = new Reader(bytes);
  const names = new Names();
  const first = r.byte();
  const cpus = CPUS[first & 7]!;
  const nodes = hasNuma(kinds) ? ((first >> 3) & 3) + 1 : 1;
  const events: Event[] = [];
  while (!r.done && events.length < LIMITS.decodeEvents) {
    const kind = kinds[r.byte() % kinds.length]!;
    const task = kind.form === "syscall" || kind.taskOperand ? readRef(r, names.tasks, LIMITS.tasks, names) : undefined;
    const args: Record<string, Arg> = {};
    for (const a of kind.args) args[a.name] = readArg(r, a, names);
    const ev = eventOf(kind, args, task);
    if (kind.form === "syscall") {
      const stop = readStop(r);
      if (stop !== undefined) ev.stop = stop;
    }
    events.push(ev);
  }
  return nodes === 1 ? { cpus, events } : { cpus, nodes, events };
}

export function encode(p: Program, kinds: readonly EventKind[] = EVENT_KINDS): Uint8Array {
  if ((p.nodes ?? 1) !== 1 && !hasNuma(kinds)) throw new Error(`config nodes=${p.nodes}: this codec's kind list has no NUMA event, its bytes mean one node`);
  const out: number[] = [CPUS.indexOf(p.cpus) | (((p.nodes ?? 1) - 1) << 3)];
  for (const chunk of encodeEvents(p, kinds)) out.push(...chunk);
  return Uint8Array.from(out);
}

/**
 * The bytes of each event of `p` (encode without the cpus byte, cut at event boundaries). An
 * event's operands are encoded relative to the names used before it, so a chunk means "the same
 * kind of event on the first / second / ... task and region used so far" wherever it is spliced
 * in: the material of the fuzzer's event dictionary (src/fuzzing/dictionary.ts).
 */
export function encodeEvents(p: Program, kinds: readonly EventKind[] = EVENT_KINDS): number[][] {
  const names = new Names();
  return p.events.map((ev) => {
    const out: number[] = [];
    const kind = kindOf(ev.op);
    const idx = kinds.indexOf(kind);
    if (idx < 0) throw new Error(`event kind ${ev.op} is not in this codec's kind list`);
    out.push(idx);
    if (kind.form === "syscall" || kind.taskOperand) writeRef(out, names.tasks, LIMITS.tasks, ev.task!, names);
    const values = argValues(ev);
    kind.args.forEach((a, i) => writeArg(out, a, values[i]!, names));
    if (kind.form === "syscall") writeStop(out, ev.stop);
    return out;
  });
}
