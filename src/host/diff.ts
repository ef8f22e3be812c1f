// One program through both kernels: plan it for the host, run it on the fixed model and on the
// host, compare, and explain what the host-version rules explain.
import type { Program } from "../program/types.js";
import { describe, diffRuns, type Difference } from "./compare.js";
import { planHost } from "./plan.js";
import { classify } from "./rules.js";
import { hostCpus, runOnHost, type HostRun } from "./runner.js";
import { runOnSim, type SimRun } from "./sim.js";

export type ProgramDiff =
  | { status: "skipped"; reason: string }
  | { status: "agree" | "differ"; unexplained: Difference[]; applied: Map<string, number>; sim: SimRun; host: HostRun };

export function diffProgram(p: Program, bin: string, cpus: number = hostCpus()): ProgramDiff {
  const planned = planHost(p, cpus);
  if ("skip" in planned) return { status: "skipped", reason: planned.skip };
  const sim = runOnSim(p, planned.plan.words);
  if (sim.verdict.findings.length) return { status: "skipped", reason: `the fixed model reports a finding (${sim.verdict.findings[0]!.title})` };
  if (sim.verdict.stats.limit) return { status: "skipped", reason: "the simulator's step budget ran out" };
  const host = runOnHost(p, planned.plan, bin);
  const c = classify(p, diffRuns(p, sim, host));
  return { status: c.unexplained.length ? "differ" : "agree", unexplained: c.unexplained, applied: c.applied, sim, host };
}

/** "still differs" for the minimizer: an unexplained difference remains. */
export function stillDiffers(bin: string, cpus: number): (p: Program) => boolean {
  return (p) => diffProgram(p, bin, cpus).status === "differ";
}

export function describeDiff(p: Program, d: ProgramDiff): string[] {
  return d.status === "skipped" ? [`skipped: ${d.reason}`] : d.unexplained.map((x) => describe(p, x));
}
