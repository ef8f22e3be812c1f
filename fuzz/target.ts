// Shared body of the jazzer.js fuzz targets: bytes -> program -> execute -> throw on a finding.
import { decode } from "../src/program/codec.js";
import { targetEvents } from "../src/program/targets.js";
import { print } from "../src/program/text.js";
import { execute } from "../src/exec/executor.js";
import { parseBugs } from "../src/bugs/switches.js";
import { signature, type Finding } from "../src/sanitizers/report.js";
import { feedbackMode, stateFeedback, type FeedbackMode, type PcIndir } from "../src/fuzzing/state.js";

/** Thrown for a sanitizer finding only; the message carries the title and the program text. */
export class FindingError extends Error {
  constructor(
    readonly finding: Finding,
    readonly programText: string,
  ) {
    super(`${finding.title} [${signature(finding)}]\n--- program ---\n${programText}`);
    this.name = "FindingError";
  }
}

export interface TargetOptions {
  /** bug switches (default: FUTEX_FUZZ_BUGS) */
  bugs?: string;
  /** feedback mode (default: FUTEX_FUZZ_FEEDBACK, else state) */
  feedback?: FeedbackMode;
  /** where state features go (default: jazzer.js's tracer when there is one) */
  pcIndir?: PcIndir | null;
}

/**
 * Build the `fuzz(data)` function of a fuzz target; switches come from FUTEX_FUZZ_BUGS, the
 * feedback mode (state features or edges only) from FUTEX_FUZZ_FEEDBACK (the benchmark passes
 * both as options). FUTEX_FUZZ_IGNORE (comma-separated signatures) lets `futex-fuzz fuzz
 * --keep-going` restart past the findings it already has.
 */
export function makeTarget(target: string, opts: TargetOptions = {}): (data: Buffer) => void {
  const kinds = targetEvents(target);
  const bugs = parseBugs(opts.bugs ?? process.env.FUTEX_FUZZ_BUGS);
  const ignore = new Set((process.env.FUTEX_FUZZ_IGNORE ?? "").split(",").filter(Boolean));
  // abstract kernel state as extra libFuzzer features (src/fuzzing/state.ts); FUTEX_FUZZ_FEEDBACK=edges: off
  const feedback = stateFeedback(opts.feedback ?? feedbackMode(), opts.pcIndir);
  const kernel = feedback ? { observer: feedback.observer } : undefined;
  return (data: Buffer) => {
    const p = decode(data, kinds);
    const v = execute(p, { bugs, kernel });
    feedback?.flush();
    const f = v.findings[0];
    if (f && !(ignore.size > 0 && ignore.has(signature(f)))) throw new FindingError(f, print(p));
  };
}
