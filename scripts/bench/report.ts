// `npm run bench -- ... --md FILE`: the results of a run as a markdown page (docs/bench-results.md),
// with what produced them (command, commit, machine) so the numbers can be reproduced.
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import type { CacheRow } from "./cachelines.js";
import { formatCachelines } from "./cachelines.js";
import type { CorpusFigures, ExecutorFigures, TargetFigures } from "./throughput.js";
import { formatInstrumentation, type InstrumentationFigures } from "./instrumentation.js";
import { formatTimeToBug, type TimeToBugResult } from "./timetobug.js";
import { fmtInt, fmtSec } from "./util.js";

export interface BenchOutput {
  executor?: ExecutorFigures;
  corpus?: CorpusFigures;
  instrumentation?: InstrumentationFigures;
  targets?: Record<string, TargetFigures>;
  length?: Record<string, { execsPerSecond: number; pointsPerExec: number }>;
  cachelines?: CacheRow[];
  ttb?: TimeToBugResult;
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "?";
  }
}

export function markdownReport(o: BenchOutput, argv: readonly string[], startedAt: Date, seconds: number): string {
  const dirty = git(["status", "--porcelain", "--untracked-files=no"]) !== "";
  const cpu = cpus();
  const md: string[] = [
    "# Benchmark results",
    "",
    `Produced by \`npm run bench -- ${argv.join(" ")}\` on ${startedAt.toISOString()} in ${fmtSec(seconds)} s.`,
    "",
    `- commit: \`${git(["rev-parse", "--short", "HEAD"])}\`${dirty ? " (with uncommitted changes)" : ""}`,
    `- node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} × ${cpu[0]?.model ?? "?"}, load average at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" / ")}`,
    "",
  ];
  if (o.corpus) {
    const c = o.corpus;
    md.push(
      "## Executor on the bench inputs",
      "",
      `${c.corpusPrograms} programs (bench/inputs): ${fmtInt(c.corpusExecsPerSecond)} execs/s, ${fmtInt(c.corpusPointsPerSecond)} preemption points/s (${c.corpusPointsPerExec.toFixed(0)} points/exec); a bare 3-deep yield* loop does ${fmtInt(c.bare3PointsPerSecond)}/s: the executor runs at ${(c.corpusBareFraction * 100).toFixed(2)}% of it.`,
      "",
    );
  }
  if (o.instrumentation) md.push("## Instrumentation costs", "", formatInstrumentation(o.instrumentation), "");
  if (o.executor && o.targets && o.length) {
    const e = o.executor;
    md.push(
      "## Throughput",
      "",
      `Executor: ${fmtInt(e.pointsPerSecond)} preemption points/s; a bare generator loop does ${fmtInt(e.barePointsPerSecond)}/s (${e.bareRatio.toFixed(1)}× the cost per point).`,
      "",
      "| target | execs/s, state feedback (default) | execs/s, edges only | state features / exec |",
      "|---|---:|---:|---:|",
      ...Object.entries(o.targets).map(([n, t]) => `| ${n} | ${fmtInt(t.execsPerSecond)} | ${fmtInt(t.edgesExecsPerSecond)} | ${t.featuresPerExec.toFixed(1)} |`),
      "",
      "In process, synchronous, pseudo-random inputs; the state figures include sending the features through jazzer.js's native `tracePcIndir`.",
      "",
      "| program length | execs/s | preemption points / exec |",
      "|---:|---:|---:|",
      ...Object.entries(o.length).map(([n, t]) => `| ${n} events | ${fmtInt(t.execsPerSecond)} | ${t.pointsPerExec.toFixed(0)} |`),
      "",
    );
  }
  if (o.cachelines) md.push("## Reference counting and cache lines", "", "```", formatCachelines(o.cachelines), "```", "");
  if (o.ttb) {
    const r = o.ttb;
    md.push(
      "## Time to bug",
      "",
      "Each campaign runs until the first finding of one of the switch's expected kinds, or the cap. Seconds are wall-clock (jazzer's include its start-up and seed loading, about 2-3 s); executions are the fairer column across engines (jazzer runs instrumented, in-process engines do not).",
      "",
      "```",
      formatTimeToBug(r),
      "```",
      "",
      "<details><summary>every campaign</summary>",
      "",
      "| switch | engine | seed | found | seconds | execs | signature / other findings |",
      "|---|---|---:|---|---:|---:|---|",
      ...[...r.runs]
        .sort((a, b) => a.bug.localeCompare(b.bug) || a.engine.localeCompare(b.engine) || a.seed - b.seed)
        .map((c) => `| ${c.bug} | ${c.engine} | ${c.seed} | ${c.found ? "yes" : "no"} | ${fmtSec(c.seconds)} | ${fmtInt(c.execs)} | ${[c.signature, ...c.others, c.error].filter(Boolean).join("; ")} |`),
      "",
      "</details>",
      "",
    );
  }
  return md.join("\n");
}
