// The one crash intake: load -> run -> minimize -> store, for the fuzz campaign's artifacts,
// `corpus import` and `minimize`. It returns an Outcome as data and prints nothing: every
// caller formats it with formatOutcome (src/corpus/outcome.ts), so they all say the same.
import { basename } from "node:path";
import { renderDiagram } from "../exec/diagram.js";
import { execute } from "../exec/executor.js";
import { minimizeFinding } from "../minimize/finding.js";
import { print } from "../program/text.js";
import { signature, type Finding } from "../sanitizers/report.js";
import { writeAtomic } from "./atomic.js";
import { describeInput, noFindingHint, resolveInput, type InputFlags, type ResolvedInput } from "./input.js";
import type { Outcome } from "./outcome.js";
import { regressionText, storeRegression } from "./store.js";

/** One run of a resolved input: what it gives before any minimization. */
export type Triage =
  | { kind: "finding"; input: ResolvedInput; finding: Finding; signature: string }
  /** ran clean here: a jazzer timeout/oom, non-determinism, or the wrong table / switches */
  | { kind: "clean"; input: ResolvedInput }
  /** the step budget ran out: a harness limit, no verdict */
  | { kind: "no-verdict"; input: ResolvedInput; points: number }
  /** the simulator itself threw: a harness bug, not a kernel finding */
  | { kind: "error"; input?: ResolvedInput; source: string; error: string };

export function triage(input: ResolvedInput): Triage {
  try {
    const v = execute(input.program, { bugs: input.bugs });
    const f = v.findings[0];
    if (f) return { kind: "finding", input, finding: f, signature: signature(f) };
    if (v.stats.limit) return { kind: "no-verdict", input, points: v.stats.points };
    return { kind: "clean", input };
  } catch (e) {
    return { kind: "error", input, source: input.path, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

/** resolve + triage of a campaign's artifact; a file that cannot be read is an error triage */
export function triageFile(path: string, flags: InputFlags): Triage {
  try {
    return triage(resolveInput(path, flags));
  } catch (e) {
    return { kind: "error", source: path, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Where a minimized finding goes. */
export type Destination =
  /** a regressions dir: <dir>/<bug-id>/<hash>.fz, deduplicated by signature and switches */
  | { regressions: string }
  /** one file, written atomically (minimize -o) */
  | { file: string }
  /** nowhere: the caller prints the text (minimize without -o) */
  | { none: true };

export interface IntakeOptions {
  dest: Destination;
  /** minimizer budget (simulator runs) */
  budget?: number;
  /** where the input came from, e.g. "seed 3, after 4.0s" */
  origin?: string;
}

/** Minimize and store a triaged input. Throws only for file-system failures of the store. */
export function finish(t: Triage, o: IntakeOptions): Outcome {
  if (t.kind === "error") {
    const base = { source: t.source, origin: o.origin, input: t.input ? describeInput(t.input) : "unreadable" };
    return t.input ? { ...base, kind: "error", error: t.error, programText: print(t.input.program) } : { ...base, kind: "error", error: t.error };
  }
  const base = { source: t.input.path, origin: o.origin, input: describeInput(t.input) };
  if (t.kind === "clean") return { ...base, kind: "clean", hint: noFindingHint(t.input) };
  if (t.kind === "no-verdict") return { ...base, kind: "no-verdict", points: t.points };
  const bugs = t.input.bugs;
  const min = minimizeFinding(t.input.program, { bugs, budget: o.budget });
  // the minimizer keeps the signature; if it could not reproduce, keep the original
  const program = min?.program ?? t.input.program;
  const finding = min?.finding ?? t.finding;
  const n = t.input.program.events.length;
  const m = program.events.length;
  const comment = `from ${basename(t.input.path)}: ${n} -> ${m} events${min ? ` in ${min.executions} runs${min.exhausted ? " (budget exhausted: may not be minimal)" : ""}` : ""}`;
  const text = regressionText(program, finding, [...bugs], comment);
  const found = {
    ...base,
    signature: t.signature,
    title: finding.title,
    findingKind: finding.kind,
    bugs: [...bugs],
    events: [n, m] satisfies [number, number],
    executions: min?.executions,
    exhausted: min?.exhausted ?? false,
    reproduced: min !== null,
    text,
    diagram: renderDiagram(program, execute(program, { bugs, trace: true })),
    alsoFixed: bugs.size > 0 && execute(program).findings.length > 0,
  };
  if ("regressions" in o.dest) {
    const s = storeRegression(o.dest.regressions, program, finding, [...bugs], comment);
    if (!s.added) return { ...found, kind: "duplicate", path: s.duplicateOf ?? s.path };
    return s.replaced ? { ...found, kind: "new", path: s.path, replaced: s.replaced } : { ...found, kind: "new", path: s.path };
  }
  if ("file" in o.dest) {
    writeAtomic(o.dest.file, text);
    return { ...found, kind: "new", path: o.dest.file };
  }
  return { ...found, kind: "minimized" };
}

/** resolve (throws for a bad file: see resolveInput) -> triage -> finish */
export function intake(path: string, flags: InputFlags, o: IntakeOptions): Outcome {
  return finish(triage(resolveInput(path, flags)), o);
}
