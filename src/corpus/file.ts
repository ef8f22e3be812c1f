// Corpus files: canonical program text under a header of comment lines that say what the file
// is and what running it must give (DESIGN §6). Every corpus file is also a test.
//
//   # futex-fuzz 1
//   # title KASAN: slab-use-after-free in futex_hash
//   # signature use-after-free:futex_hash
//   # bugs fork-copies-phash-new            switches it runs with (omitted: none)
//   # expect finding use-after-free|double-free
//   # expect ret t0 hash_get_slots = 16     next not-yet-matched syscall of t0 with that text
//   # any other comment
//   config cpus=2
//   t0 ...
import { parseBugs, UnknownBugError } from "../bugs/switches.js";
import { execute, type Verdict } from "../exec/executor.js";
import { loadProgramFile } from "../program/load.js";
import { parse, ParseError, print, printEventBody, TEXT_HEADER } from "../program/text.js";
import type { Program } from "../program/types.js";
import { isFindingKind, type FindingKind } from "../sanitizers/report.js";

export type Expect =
  | { kind: "clean"; line?: number }
  | { kind: "finding"; kinds: FindingKind[]; line?: number }
  /** `value` null: the syscall never returned (`= none`) */
  | { kind: "ret"; task: number; event: string; value: number | null; line?: number };

export interface CorpusFile {
  program: Program;
  title?: string;
  signature?: string;
  /** bug switches the `# expect` lines are about (not validated here: see verifyCorpusFile) */
  bugs: string[];
  expects: Expect[];
  /** where it was read from, for messages */
  path?: string;
}

const DIRECTIVES = new Set(["futex-fuzz", "title", "signature", "bugs", "expect"]);

function fail(path: string | undefined, line: number, msg: string): never {
  throw new ParseError(line, 1, msg, path);
}

function parseRet(s: string): number | null {
  if (s === "none") return null;
  if (!/^-?(0x[0-9a-fA-F]+|[0-9]+)$/.test(s)) return NaN;
  const neg = s.startsWith("-");
  const n = Number(neg ? s.slice(1) : s);
  return neg ? -n : n;
}

function parseExpect(rest: string, path: string | undefined, line: number): Expect {
  const [what, ...more] = rest.split(/\s+/);
  if (what === "clean" && more.length === 0) return { kind: "clean", line };
  if (what === "finding") {
    const kinds = (more.join("") || "").split("|").filter(Boolean);
    if (kinds.length === 0) fail(path, line, "'# expect finding' needs a kind (e.g. double-free|use-after-free)");
    for (const k of kinds) if (!isFindingKind(k)) fail(path, line, `unknown finding kind '${k}'`);
    return { kind: "finding", kinds: kinds as FindingKind[], line };
  }
  if (what === "ret") {
    const m = /^ret\s+(t[0-9]+)\s+(.+?)\s*=\s*(\S+)$/.exec(rest);
    if (!m) fail(path, line, "expected '# expect ret tN <event> = <value>'");
    let ev;
    try {
      ev = parse(`${m[1]} ${m[2]}`).events[0];
    } catch (e) {
      fail(path, line, `bad event in '# expect ret': ${e instanceof ParseError ? e.reason : String(e)}`);
    }
    if (!ev || ev.task === undefined) fail(path, line, "'# expect ret' needs a syscall event of a task");
    const value = parseRet(m[3]!);
    if (Number.isNaN(value)) fail(path, line, `bad return value '${m[3]}' (an integer or 'none')`);
    return { kind: "ret", task: ev.task, event: printEventBody(ev), value, line };
  }
  return fail(path, line, `unknown expectation '# expect ${rest}' (clean | finding K1|K2 | ret tN EVENT = VALUE)`);
}

/** Parse a corpus file. Errors are ParseErrors naming the file and line. */
export function parseCorpusFile(text: string, path?: string): CorpusFile {
  const program = parse(text, path);
  const out: CorpusFile = { program, bugs: [], expects: [] };
  if (path !== undefined) out.path = path;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*#\s*(\S+)\s*(.*?)\s*$/.exec(lines[i]!);
    if (!m || !DIRECTIVES.has(m[1]!)) continue;
    const [, key, rest] = m;
    const n = i + 1;
    switch (key) {
      case "futex-fuzz":
        if (rest !== "1") fail(path, n, `unsupported format version '${rest}' (this is futex-fuzz 1)`);
        break;
      case "title":
        out.title = rest;
        break;
      case "signature":
        if (!/^[a-z-]+:\S/.test(rest)) fail(path, n, `bad signature '${rest}' (want kind:frame)`);
        out.signature = rest;
        break;
      case "bugs":
        out.bugs.push(...rest.split(",").map((s) => s.trim()).filter(Boolean));
        break;
      case "expect":
        out.expects.push(parseExpect(rest, path, n));
        break;
    }
  }
  return out;
}

function formatRetValue(v: number | null): string {
  return v === null ? "none" : v >= 0x10000 ? `0x${v.toString(16)}` : String(v);
}

export function formatExpect(e: Expect): string {
  switch (e.kind) {
    case "clean":
      return "# expect clean";
    case "finding":
      return `# expect finding ${e.kinds.join("|")}`;
    case "ret":
      return `# expect ret t${e.task} ${e.event} = ${formatRetValue(e.value)}`;
  }
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

/** Header + canonical program text; parseCorpusFile(formatCorpusFile(f)) gives f back. */
export function formatCorpusFile(f: {
  program: Program;
  title?: string;
  signature?: string;
  bugs?: readonly string[];
  expects?: readonly Expect[];
  comment?: string;
}): string {
  const head = [TEXT_HEADER];
  if (f.title) head.push(`# title ${oneLine(f.title)}`);
  if (f.signature) head.push(`# signature ${oneLine(f.signature)}`);
  if (f.bugs && f.bugs.length) head.push(`# bugs ${f.bugs.join(",")}`);
  for (const e of f.expects ?? []) head.push(formatExpect(e));
  for (const l of (f.comment ?? "").split("\n")) {
    if (!l.trim()) continue;
    // a free comment never reads as a directive
    const first = l.trim().split(/\s+/)[0]!;
    head.push(DIRECTIVES.has(first) ? `# - ${l.trim()}` : `# ${l.trim()}`);
  }
  return head.join("\n") + "\n" + print(f.program);
}

function where(file: Pick<CorpusFile, "path">, e: Expect): string {
  return `${file.path ?? "<corpus file>"}${e.line ? `:${e.line}` : ""}`;
}

/** The declared expectations against a verdict: one message per failure, empty when all hold. */
export function checkExpectations(file: Pick<CorpusFile, "expects" | "path">, v: Verdict): string[] {
  const out: string[] = [];
  const got = v.findings[0];
  const gotText = got ? `${got.kind}: ${got.title}` : "clean";
  if (v.stats.limit) out.push(`${file.path ?? "<corpus file>"}: step budget exhausted after ${v.stats.points} points (no verdict)`);
  const matched = new Set<number>();
  for (const e of file.expects) {
    switch (e.kind) {
      case "clean":
        if (got) out.push(`${where(file, e)}: expected clean, got ${gotText}`);
        break;
      case "finding":
        if (!got || !e.kinds.includes(got.kind)) out.push(`${where(file, e)}: expected finding ${e.kinds.join("|")}, got ${gotText}`);
        break;
      case "ret": {
        const i = v.syscalls.findIndex((s, j) => !matched.has(j) && s.task === e.task && s.event === e.event);
        if (i < 0) {
          out.push(`${where(file, e)}: expected t${e.task} ${e.event} = ${formatRetValue(e.value)}, but no further such syscall ran`);
          break;
        }
        matched.add(i);
        const ret = v.syscalls[i]!.ret;
        if (ret !== e.value)
          out.push(`${where(file, e)}: expected t${e.task} ${e.event} = ${formatRetValue(e.value)}, got ${formatRetValue(ret)}`);
        break;
      }
    }
  }
  return out;
}

/**
 * Both checks a corpus file must pass: with its `# bugs` the `# expect` lines hold, and with no
 * switches (the fixed kernel) there is no finding. Never throws for a bad file: the reasons say
 * what is wrong (unreadable, binary, syntax error with line, wrong verdict).
 */
export interface Verification {
  ok: boolean;
  reasons: string[];
  /** the step budget ran out (a harness limit): no verdict, not a wrong one */
  noVerdict?: boolean;
}

export function verifyCorpusFile(path: string): Verification {
  let file: CorpusFile;
  try {
    const loaded = loadProgramFile(path);
    file = parseCorpusFile(loaded.text ?? "", path);
  } catch (e) {
    return { ok: false, reasons: [e instanceof Error ? e.message : String(e)] };
  }
  return verifyParsed(file);
}

export function verifyParsed(file: CorpusFile): Verification {
  const name = file.path ?? "<corpus file>";
  const reasons: string[] = [];
  let bugs;
  try {
    bugs = parseBugs(file.bugs);
  } catch (e) {
    if (!(e instanceof UnknownBugError)) throw e;
    return { ok: false, reasons: [`${name}: ${e.message}`] };
  }
  try {
    const v = execute(file.program, { bugs });
    if (v.stats.limit) return { ok: false, noVerdict: true, reasons: checkExpectations(file, v).slice(0, 1) };
    reasons.push(...checkExpectations(file, v));
    const fixed = bugs.size ? execute(file.program) : v;
    const f = fixed.findings[0];
    if (f) reasons.push(`${name}: not clean on the fixed kernel (no bug switches): ${f.kind}: ${f.title}`);
  } catch (e) {
    reasons.push(`${name}: the simulator crashed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
  return { ok: reasons.length === 0, reasons };
}
