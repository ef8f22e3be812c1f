// Program text: parse (with line/column errors) and print (canonical text).
import { EVENT_KINDS, LIMITS, hasKind, isAddr, isMapping, isValue, kindOf, makeEvent, type Arg, type ArgKind } from "./events.js";
import { FUTEX_OWNER_DIED, FUTEX_WAITERS, PAGE_SIZE, type Addr, type Event, type Mapping, type Program, type Value } from "./types.js";

export const TEXT_HEADER = "# futex-fuzz 1";
export const DEFAULT_CPUS = 2;

export class ParseError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
    readonly source?: string,
  ) {
    super(`${source ? source + ":" : ""}${line}:${column}: ${reason}`);
    this.name = "ParseError";
  }
}

interface Token {
  text: string;
  col: number;
}

function tokenize(line: string): Token[] {
  const out: Token[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push({ text: m[0], col: m.index + 1 });
  return out;
}

const NUM = /^(0x[0-9a-fA-F]+|[0-9]+)$/;

function parseNum(tok: Token, min: number, max: number, what: string, lineNo: number): number {
  if (!NUM.test(tok.text)) throw new ParseError(lineNo, tok.col, `expected ${what}, got '${tok.text}'`);
  const n = Number(tok.text);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new ParseError(lineNo, tok.col, `${what} ${tok.text} out of range ${min}..${max}`);
  return n;
}

const REF_NOUN: Record<string, string> = { t: "tasks", m: "regions", f: "files" };

function parseRef(tok: Token, prefix: string, limit: number, lineNo: number): number {
  const m = new RegExp(`^${prefix}([0-9]+)$`).exec(tok.text);
  if (!m) throw new ParseError(lineNo, tok.col, `expected ${prefix}N, got '${tok.text}'`);
  if (NUM.test(m[1]!) && Number(m[1]) >= limit)
    throw new ParseError(lineNo, tok.col, `${tok.text} is over the limit of ${limit} ${REF_NOUN[prefix] ?? "names"} per program (${prefix}0..${prefix}${limit - 1})`);
  return parseNum({ text: m[1]!, col: tok.col }, 0, limit - 1, `${prefix} index`, lineNo);
}

function parseValue(tok: Token, lineNo: number): Value {
  if (tok.text.startsWith("tid:")) {
    const parts = tok.text.slice(4).split("|");
    const tid = parseRef({ text: parts[0]!, col: tok.col + 4 }, "t", LIMITS.tasks, lineNo);
    let bits = 0;
    for (const p of parts.slice(1)) {
      if (p === "waiters" && !(bits & FUTEX_WAITERS)) bits |= FUTEX_WAITERS;
      else if (p === "died" && !(bits & FUTEX_OWNER_DIED)) bits |= FUTEX_OWNER_DIED;
      else throw new ParseError(lineNo, tok.col, `bad TID flag '${p}' (want |waiters and/or |died)`);
    }
    return { tid, bits: bits >>> 0 };
  }
  return { bits: parseNum(tok, 0, 0xffffffff, "u32 value", lineNo) };
}

function parseAddr(tok: Token, lineNo: number): Addr {
  const m = /^m([0-9]+)\+(.+)$/.exec(tok.text);
  if (!m) throw new ParseError(lineNo, tok.col, `expected address mN+OFF, got '${tok.text}'`);
  const region = parseRef({ text: "m" + m[1], col: tok.col }, "m", LIMITS.regions, lineNo);
  const off = parseNum({ text: m[2]!, col: tok.col + m[1]!.length + 2 }, 0, PAGE_SIZE - 1, "offset", lineNo);
  return { region, off };
}

function parseEventLine(toks: Token[], lineNo: number): Event {
  let i = 0;
  let task: number | undefined;
  const first = toks[0]!;
  if (/^t[0-9]+$/.test(first.text)) {
    task = parseRef(first, "t", LIMITS.tasks, lineNo);
    i = 1;
    if (!toks[1]) throw new ParseError(lineNo, first.col + first.text.length, "expected an event after the task");
  }
  const nameTok = toks[i++]!;
  if (!hasKind(nameTok.text)) throw new ParseError(lineNo, nameTok.col, `unknown event '${nameTok.text}'`);
  const kind = kindOf(nameTok.text);
  if (kind.form === "syscall" && task === undefined)
    throw new ParseError(lineNo, nameTok.col, `'${kind.name}' needs a task: tN ${kind.name} ...`);
  if (kind.form === "control" && i === 2)
    throw new ParseError(lineNo, first.col, `'${kind.name}' is not run by a task; write '${kind.name} ...'`);
  if (kind.taskOperand) {
    const t = toks[i++];
    if (!t) throw new ParseError(lineNo, nameTok.col + nameTok.text.length, `'${kind.name}' needs a task operand`);
    task = parseRef(t, "t", LIMITS.tasks, lineNo);
  }
  const args: Arg[] = [];
  let stop: number | undefined;
  for (const a of kind.args) {
    const tok = toks[i];
    if (a.k === "flag") {
      const here = tok !== undefined && tok.text === a.word;
      args.push(here);
      if (here) i++;
      continue;
    }
    if (!tok || tok.text.startsWith("@")) {
      const col = tok ? tok.col : lastCol(toks);
      throw new ParseError(lineNo, col, `'${kind.name}' is missing its ${a.name} argument`);
    }
    i++;
    args.push(parseArg(a, tok, toks, lineNo, () => toks[i++]));
  }
  const tail = toks[i];
  if (tail && tail.text.startsWith("@") && kind.form === "syscall") {
    stop = parseNum({ text: tail.text.slice(1), col: tail.col + 1 }, 0, LIMITS.stop, "stop @k", lineNo);
    i++;
  }
  if (toks[i]) throw new ParseError(lineNo, toks[i]!.col, `unexpected '${toks[i]!.text}'`);
  return makeEvent(kind.name, args, task, stop);
}

function lastCol(toks: Token[]): number {
  const t = toks[toks.length - 1]!;
  return t.col + t.text.length;
}

function parseArg(a: ArgKind, tok: Token, toks: Token[], lineNo: number, next: () => Token | undefined): Arg {
  switch (a.k) {
    case "task":
      return parseRef(tok, "t", LIMITS.tasks, lineNo);
    case "region":
      return parseRef(tok, "m", LIMITS.regions, lineNo);
    case "addr":
      return parseAddr(tok, lineNo);
    case "value":
      return parseValue(tok, lineNo);
    case "int":
      return parseNum(tok, a.min, a.max, a.name, lineNo);
    case "enum":
      if (!a.values.includes(tok.text))
        throw new ParseError(lineNo, tok.col, `expected one of ${a.values.join("|")}, got '${tok.text}'`);
      return tok.text;
    case "mapping": {
      if (tok.text === "anon") return { anon: true } satisfies Mapping;
      if (tok.text !== "file") throw new ParseError(lineNo, tok.col, `expected 'anon' or 'file fN', got '${tok.text}'`);
      const f = next();
      if (!f) throw new ParseError(lineNo, lastCol(toks), "expected a file fN after 'file'");
      return { anon: false, file: parseRef(f, "f", LIMITS.files, lineNo) } satisfies Mapping;
    }
    case "flag":
      throw new Error("unreachable");
  }
}

/** Parse program text. Comments (`#`) and blank lines are ignored; `config` sets machine parameters. */
export function parse(text: string, source?: string): Program {
  const prog: Program = { cpus: DEFAULT_CPUS, events: [] };
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const hash = raw.indexOf("#");
    const body = hash >= 0 ? raw.slice(0, hash) : raw;
    const toks = tokenize(body);
    if (toks.length === 0) continue;
    try {
      if (toks[0]!.text === "config") {
        for (const t of toks.slice(1)) {
          const nodes = /^nodes=(.*)$/.exec(t.text);
          if (nodes) {
            const v = parseNum({ text: nodes[1]!, col: t.col + 6 }, 1, LIMITS.nodes, "nodes", n + 1);
            if (v === 1) delete prog.nodes;
            else prog.nodes = v;
            continue;
          }
          const m = /^cpus=(.*)$/.exec(t.text);
          if (!m) throw new ParseError(n + 1, t.col, `unknown config '${t.text}' (known: cpus=N, nodes=N)`);
          prog.cpus = parseNum({ text: m[1]!, col: t.col + 5 }, 1, LIMITS.cpus, "cpus", n + 1);
        }
        continue;
      }
      prog.events.push(parseEventLine(toks, n + 1));
    } catch (e) {
      if (e instanceof ParseError && source) throw new ParseError(e.line, e.column, e.reason, source);
      throw e;
    }
  }
  return prog;
}

function printNum(n: number): string {
  return n >= 0x10000 ? "0x" + n.toString(16) : String(n);
}

export function printValue(v: Value): string {
  if (v.tid === undefined) return printNum(v.bits >>> 0);
  let s = `tid:t${v.tid}`;
  if (v.bits & FUTEX_WAITERS) s += "|waiters";
  if (v.bits & FUTEX_OWNER_DIED) s += "|died";
  return s;
}

export function printAddr(a: Addr): string {
  return `m${a.region}+${a.off}`;
}

function printArg(a: ArgKind, v: Arg): string | null {
  const bad = (): never => {
    throw new Error(`cannot print ${JSON.stringify(v)} as a ${a.k} argument`);
  };
  switch (a.k) {
    case "task":
      return typeof v === "number" ? `t${v}` : bad();
    case "region":
      return typeof v === "number" ? `m${v}` : bad();
    case "addr":
      return isAddr(v) ? printAddr(v) : bad();
    case "value":
      return isValue(v) ? printValue(v) : bad();
    case "int":
      return typeof v === "number" ? printNum(v) : bad();
    case "enum":
      return typeof v === "string" ? v : bad();
    case "mapping":
      if (!isMapping(v)) return bad();
      return v.anon ? "anon" : `file f${v.file}`;
    case "flag":
      return v ? a.word : null;
  }
}

/** The event's canonical text without the task prefix and without `@k` (the verdict's `event`). */
export function printEventBody(ev: Event): string {
  const kind = kindOf(ev.op);
  const parts: string[] = [kind.name];
  if (kind.taskOperand) parts.push(`t${ev.task}`);
  const args: Readonly<Record<string, Arg | undefined>> = ev.args;
  for (const a of kind.args) {
    const v = args[a.name];
    if (v === undefined) throw new Error(`${kind.name}: missing argument ${a.name}`);
    const s = printArg(a, v);
    if (s !== null) parts.push(s);
  }
  return parts.join(" ");
}

export function printEvent(ev: Event): string {
  const kind = kindOf(ev.op);
  let s = printEventBody(ev);
  if (kind.form === "syscall") s = `t${ev.task} ${s}`;
  if (ev.stop !== undefined) s += ` @${ev.stop}`;
  return s;
}

/** Canonical text: `config cpus=N` then one event per line. */
export function print(p: Program): string {
  return [configLine(p), ...p.events.map(printEvent)].join("\n") + "\n";
}

/** `config cpus=N`, with ` nodes=N` when the program has more than one NUMA node. */
export function configLine(p: Program): string {
  return `config cpus=${p.cpus}${p.nodes !== undefined && p.nodes !== 1 ? ` nodes=${p.nodes}` : ""}`;
}

export { EVENT_KINDS };
