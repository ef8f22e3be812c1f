// One program through both kernels: plan it for the host, run it on the fixed model and on the
// host, compare, and explain what the host-version rules explain.
import type { Program } from "../program/types.js";
import { describe, diffRuns, type Difference } from "./compare.js";
import { hostKernelLacks, planHost } from "./plan.js";
import { classify, HOST_RULES, type HostRule } from "./rules.js";
import { join } from "node:path";
import { formatCorpusFile, type Expect } from "../corpus/file.js";
import { contentHash } from "../corpus/store.js";
import { writeAtomic } from "../corpus/atomic.js";
import { minimize } from "../minimize/minimize.js";
import { hostCpus, runOnHost, type HostRun } from "./runner.js";
import { runOnSim, type SimRun } from "./sim.js";

export type ProgramDiff =
  | { status: "skipped"; reason: string }
  | { status: "agree" | "differ"; unexplained: Difference[]; applied: Map<string, number>; sim: SimRun; host: HostRun };

/** `rules`: the host-version rules that explain differences (tests pass fewer, to make one) */
export function diffProgram(p: Program, bin: string, cpus: number = hostCpus(), rules: readonly HostRule[] = HOST_RULES): ProgramDiff {
  const lacks = hostKernelLacks(p);
  if (lacks) return { status: "skipped", reason: lacks };
  const planned = planHost(p, cpus);
  if ("skip" in planned) return { status: "skipped", reason: planned.skip };
  const sim = runOnSim(p, planned.plan.words);
  if (sim.verdict.findings.length) return { status: "skipped", reason: `the fixed model reports a finding (${sim.verdict.findings[0]!.title})` };
  if (sim.verdict.stats.limit) return { status: "skipped", reason: "the simulator's step budget ran out" };
  if (sim.parts) return { status: "skipped", reason: sim.parts };
  const host = runOnHost(p, planned.plan, bin);
  const c = classify(p, diffRuns(p, sim, host), rules);
  return { status: c.unexplained.length ? "differ" : "agree", unexplained: c.unexplained, applied: c.applied, sim, host };
}

/** "still differs" for the minimizer: an unexplained difference remains. */
export function stillDiffers(bin: string, cpus: number, rules: readonly HostRule[] = HOST_RULES): (p: Program) => boolean {
  return (p) => diffProgram(p, bin, cpus, rules).status === "differ";
}

function hostExpects(d: ProgramDiff): Expect[] {
  if (d.status === "skipped") return [];
  return d.host.syscalls.map((s) => ({ kind: "ret", task: s.task, event: s.event, value: s.ret }));
}

/**
 * Minimize a program that differs (predicate: still differs) and write it to `dir` as a corpus
 * file whose `# expect ret` lines are the host kernel's values. Returns its path.
 */
export function writeDifference(dir: string, p: Program, bin: string, cpus: number, rules: readonly HostRule[] = HOST_RULES): string {
  const m = minimize(p, stillDiffers(bin, cpus, rules), { budget: 300 }).program;
  const d = diffProgram(m, bin, cpus, rules);
  const text = formatCorpusFile({
    program: m,
    title: "kernel-diff: the simulator and the host kernel disagree",
    expects: hostExpects(d),
    comment: ["The expected return values are the host kernel's.", ...describeDiff(m, d)].join("\n"),
  });
  const path = join(dir, `${contentHash(m)}.fz`);
  writeAtomic(path, text);
  return path;
}

export function describeDiff(p: Program, d: ProgramDiff): string[] {
  return d.status === "skipped" ? [`skipped: ${d.reason}`] : d.unexplained.map((x) => describe(p, x));
}
