// What the crash intake (src/corpus/intake.ts) did with one input, as data, and the one way it
// is printed: the fuzz campaign, `corpus import` and `minimize` all show the same block.
import type { FindingKind } from "../sanitizers/report.js";

interface Base {
  /** the input file (a crash artifact, a .fz program) */
  source: string;
  /** where it came from, e.g. "seed 3, after 4.0s" */
  origin?: string;
  /** what it ran with (describeInput): text or bytes with which table, which switches from where */
  input: string;
}

export interface FoundOutcome extends Base {
  /** new: a file was written (regression or -o); duplicate: a stored regression covers it;
   *  minimized: not stored (minimize without -o prints it) */
  kind: "new" | "duplicate" | "minimized";
  signature: string;
  title: string;
  findingKind: FindingKind;
  bugs: string[];
  /** events before and after minimization */
  events: [number, number];
  /** simulator runs of the minimizer (undefined: it could not reproduce, original kept) */
  executions?: number;
  exhausted: boolean;
  reproduced: boolean;
  /** the written file (new) or the regression that already covers the signature (duplicate) */
  path?: string;
  /** generated regressions a smaller reproducer replaced */
  replaced?: string[];
  /** the corpus file: header and canonical program text */
  text: string;
  /** the per-CPU race diagram of the minimized program */
  diagram: string;
  /** it also fires with no bug switches: a bug in the fixed kernel model */
  alsoFixed: boolean;
}

export type Outcome =
  | FoundOutcome
  | (Base & { kind: "clean"; hint: string })
  | (Base & { kind: "no-verdict"; points: number })
  | (Base & { kind: "error"; error: string; programText?: string });

export type OutcomeKind = Outcome["kind"];

export function isFinding(o: Outcome): o is FoundOutcome {
  return o.kind === "new" || o.kind === "duplicate" || o.kind === "minimized";
}

/** exit status of one outcome: 1 finding, 3 no verdict or harness error, 0 clean */
export function outcomeStatus(o: Outcome): number {
  return isFinding(o) ? 1 : o.kind === "clean" ? 0 : 3;
}

export interface FormatOptions {
  /** print paths this way (relative to the working directory) */
  rel?: (p: string) => string;
  /** leave the reproducer out (minimize without -o prints it on stdout instead) */
  noReproducer?: boolean;
}

/** The block every command prints for an outcome. */
export function formatOutcome(o: Outcome, f: FormatOptions = {}): string {
  const rel = f.rel ?? ((p: string) => p);
  const from = o.origin ? ` (${o.origin})` : "";
  switch (o.kind) {
    case "clean":
      return `\n== NO FINDING ${rel(o.source)}${from}: runs clean when replayed\n   input:     ${o.input}\n   hint:      ${o.hint || "a jazzer timeout/oom, or non-determinism in the harness"}\n`;
    case "no-verdict":
      return `\n== NO VERDICT ${rel(o.source)}${from}: step budget exhausted after ${o.points} preemption points (the limit; a harness limit, not a finding)\n   input:     ${o.input}\n`;
    case "error":
      return `\n== HARNESS ERROR (the simulator threw; not a kernel finding): ${rel(o.source)}${from}\n   input:     ${o.input}\n${o.error}\n${o.programText ? `--- program ---\n${o.programText}` : ""}`;
  }
  const min = `${o.events[0]} -> ${o.events[1]} events${o.executions !== undefined ? ` in ${o.executions} runs` : " (minimizer could not reproduce; original kept)"}${o.exhausted ? " (budget exhausted: may not be minimal)" : ""}`;
  const where =
    o.kind === "new"
      ? `   stored:    ${rel(o.path ?? "")} (new${o.replaced ? `, replaces ${o.replaced.map(rel).join(", ")}` : ""})`
      : o.kind === "duplicate"
        ? `   duplicate: ${rel(o.path ?? "")} already covers this signature`
        : "   stored:    nowhere (printed on stdout; -o FILE writes it)";
  const lines = [
    "",
    `== FINDING ${o.title} [${o.signature}]${from}`,
    `   input:     ${rel(o.source)}: ${o.input}`,
    `   minimized: ${min}`,
    where,
  ];
  if (o.alsoFixed) lines.push("   note:      it also fires with no bug switches (a bug in the fixed kernel model): 'corpus check' will flag it");
  const body = f.noReproducer ? "" : `--- reproducer ---\n${o.text}`;
  return `${lines.join("\n")}\n${body}--- diagram ---\n${o.diagram}`;
}
