// What happens to a crash artifact: decode it with the target's kinds, re-run it in this process
// (triage), then minimize, store as a regression (deduplicated by signature) and print the
// reproducer with its diagram.
import { readFileSync } from "node:fs";
import type { BugSet } from "../bugs/switches.js";
import { storeRegression } from "../corpus/store.js";
import { renderDiagram } from "../exec/diagram.js";
import { execute } from "../exec/executor.js";
import { minimizeFinding } from "../minimize/finding.js";
import { decode } from "../program/codec.js";
import { print } from "../program/text.js";
import type { Program } from "../program/types.js";
import { signature, type Finding } from "../sanitizers/report.js";
import { targetEvents } from "../program/targets.js";
import { displayPath } from "./paths.js";

export interface Out {
  out(s: string): void;
}

export type Triage =
  | { kind: "finding"; artifact: string; program: Program; finding: Finding; signature: string }
  /** ran clean here: a jazzer timeout/oom, or a non-deterministic run (a harness bug) */
  | { kind: "clean"; artifact: string; program: Program }
  /** the simulator itself threw: a harness bug, not a kernel finding */
  | { kind: "error"; artifact: string; program?: Program; error: string };

/** Decode an artifact with the target's event kinds and run it once under `bugs`. */
export function triageArtifact(artifact: string, target: string, bugs: BugSet): Triage {
  const table = targetEvents(target);
  let program: Program | undefined;
  try {
    program = decode(readFileSync(artifact), table);
    const f = execute(program, { bugs }).findings[0];
    if (!f) return { kind: "clean", artifact, program };
    return { kind: "finding", artifact, program, finding: f, signature: signature(f) };
  } catch (e) {
    const err = e as Error;
    return { kind: "error", artifact, program, error: err.stack ?? String(err) };
  }
}

export interface Outcome {
  kind: "new" | "duplicate" | "clean" | "error";
  artifact: string;
  signature?: string;
  title?: string;
  /** regression file written (new) or the one that already covers the signature (duplicate) */
  path?: string;
  /** events before and after minimization */
  events?: [number, number];
  replaced?: string[];
}

export interface FinishOptions {
  bugs: BugSet;
  /** the regressions dir to store into */
  regressions: string;
  /** minimizer budget (simulator runs) */
  budget?: number;
  /** printed in the heading, e.g. "worker 1, seed 3" */
  origin?: string;
}

const rel = displayPath;

/** Minimize, store and print a triaged artifact; every outcome is printed. */
export function finishArtifact(t: Triage, opts: FinishOptions, io: Out): Outcome {
  if (t.kind === "clean") {
    io.out(`\n== artifact ${rel(t.artifact)}${opts.origin ? ` (${opts.origin})` : ""} runs clean when replayed (a jazzer timeout/oom, or non-determinism in the harness); kept for inspection\n`);
    return { kind: "clean", artifact: t.artifact };
  }
  if (t.kind === "error") {
    io.out(`\n== HARNESS ERROR (the simulator threw; not a kernel finding): ${rel(t.artifact)}${opts.origin ? ` (${opts.origin})` : ""}\n${t.error}\n`);
    if (t.program) io.out(`--- program ---\n${print(t.program)}`);
    return { kind: "error", artifact: t.artifact };
  }
  const min = minimizeFinding(t.program, { bugs: opts.bugs, budget: opts.budget });
  // the minimizer keeps the signature; if it could not reproduce, keep the original
  const program = min?.program ?? t.program;
  const finding = min?.finding ?? t.finding;
  const stored = storeRegression(opts.regressions, program, finding, [...opts.bugs]);
  const o: Outcome = {
    kind: stored.added ? "new" : "duplicate",
    artifact: t.artifact,
    signature: t.signature,
    title: finding.title,
    path: stored.path,
    events: [t.program.events.length, program.events.length],
  };
  if (stored.replaced) o.replaced = stored.replaced;
  const lines = [
    "",
    `== FINDING ${finding.title} [${t.signature}]${opts.origin ? ` (${opts.origin})` : ""}`,
    `   artifact:  ${rel(t.artifact)}`,
    `   minimized: ${t.program.events.length} -> ${program.events.length} events${min ? ` in ${min.executions} runs` : " (minimizer could not reproduce; original kept)"}`,
    stored.added
      ? `   stored:    ${rel(stored.path)} (new${stored.replaced ? `, replaces ${stored.replaced.map(rel).join(", ")}` : ""})`
      : `   duplicate: ${rel(stored.duplicateOf ?? stored.path)} already covers this signature`,
    "--- reproducer ---",
  ];
  io.out(lines.join("\n") + "\n");
  io.out(stored.added ? readFileSync(stored.path, "utf8") : print(program));
  io.out("--- diagram ---\n");
  io.out(renderDiagram(program, execute(program, { bugs: opts.bugs, trace: true })));
  return o;
}

/** artifact path -> decode -> minimize -> store -> print */
export function handleCrashArtifact(artifact: string, target: string, opts: FinishOptions, io: Out): Outcome {
  return finishArtifact(triageArtifact(artifact, target, opts.bugs), opts, io);
}
