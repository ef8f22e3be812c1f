// Time-to-bug: per bug switch, N campaigns per engine (scripts/bench/engines.ts), each until the
// first finding of one of the switch's expected kinds or the time cap; medians, spreads, found
// k/n and the ratios jazzer vs blind random (and vs fast-check), state vs edges feedback.
//
// Campaigns run one (or --jobs 2) at a time, each in a child process (campaign-worker.js).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TARGET_EVENTS } from "../../src/program/targets.js";
import { parseCorpusFile } from "../../src/corpus/file.js";
import { listCorpusFiles } from "../../src/corpus/walk.js";
import { DEFAULT_REGRESSIONS } from "../../src/fuzzing/paths.js";
import type { CampaignRun, CampaignSpec, Engine } from "./engines.js";
import { fmtInt, fmtSec, median } from "./util.js";

export interface TimeToBugOptions {
  bugs: readonly string[];
  engines: readonly Engine[];
  runsPer: number;
  maxSeconds: number;
  /** per-engine caps that override maxSeconds (e.g. a shorter one for blind random, whose
   * misses then read as "> cap" and its ratio to jazzer as a lower bound) */
  engineCaps?: Partial<Record<Engine, number>>;
  /** a fuzz target, or `auto`: per switch, the target of its regression reproducers (targetForBug) */
  target: string;
  /** campaigns at a time (1 or 2) */
  jobs: number;
  /** the switches the jazzer-edges engine runs for (default: all of `bugs`) */
  edgesBugs?: readonly string[];
  /** seed files (base names) the jazzer campaigns leave out (an ablation: is a switch found without them?) */
  withoutSeeds?: string[];
  /** campaign i (0-based) of every engine uses seed firstSeed + i */
  firstSeed?: number;
  /** how a campaign is run (default: a campaign-worker child process) */
  runner?: (spec: CampaignSpec) => Promise<CampaignRun>;
  /** progress lines */
  log?: (line: string) => void;
}

export interface EngineSummary {
  runs: number;
  found: number;
  /** median seconds to the first finding; a campaign that found nothing counts as +infinity, so
   * this is null when half or more found nothing */
  medianSeconds: number | null;
  /** fastest and slowest campaign that found it (null: none did) */
  minSeconds: number | null;
  maxSeconds: number | null;
  /** median executions to the first finding (same censoring as medianSeconds) */
  medianExecs: number | null;
  /** the cap: campaigns that found nothing ran this long */
  capSeconds: number;
  /** per campaign, in seed order: seconds (null: not found) and executions */
  seconds: (number | null)[];
  execs: number[];
  /** findings of other kinds some campaign ran into (ignored) and campaign errors */
  others: string[];
  errors: string[];
  /** portfolio: which engine's input each finding was, counted */
  foundBy?: Record<string, number>;
}

export interface Ratio {
  /** how many times longer the first engine took (median over median) */
  value: number;
  /** the slower engine's median is censored at the cap: the ratio is at least `value` */
  atLeast: boolean;
}

export interface TimeToBugResult {
  options: { runsPer: number; maxSeconds: number; engineCaps: Partial<Record<Engine, number>>; withoutSeeds: string[]; target: string; engines: readonly Engine[] };
  /** the fuzz target each switch's campaigns used */
  targets: Record<string, string>;
  /** timeToBug[switch][engine] */
  timeToBug: Record<string, Partial<Record<Engine, EngineSummary>>>;
  /** per switch: blind/jazzer, fastcheck/jazzer, jazzer-edges/jazzer, jazzer-nodict/jazzer, jazzer-kernel/jazzer, jazzer-sim/jazzer (seconds, and executions) */
  ratios: Record<string, Record<string, { seconds: Ratio | null; execs: Ratio | null }>>;
  runs: CampaignRun[];
}

/**
 * The fuzz targets exist to focus the fuzzer on a subsystem; `auto` gives each switch the
 * smallest target whose event kinds cover those of the switch's reproducers in the regression
 * corpus (the files whose `# bugs` line names it), else `all`.
 */
export function targetForBug(bug: string, regressions: string = DEFAULT_REGRESSIONS): string {
  const used = new Set<string>();
  for (const file of listCorpusFiles([regressions])) {
    let f;
    try {
      f = parseCorpusFile(readFileSync(file, "utf8"), file);
    } catch {
      continue;
    }
    if (f.bugs.includes(bug)) for (const ev of f.program.events) used.add(ev.op);
  }
  if (used.size === 0) return "all";
  let best = "all";
  for (const [name, kinds] of Object.entries(TARGET_EVENTS)) {
    if (![...used].every((op) => kinds.some((k) => k.name === op))) continue;
    if (kinds.length < TARGET_EVENTS[best]!.length) best = name;
  }
  return best;
}

const WORKER = fileURLToPath(new URL("./campaign-worker.js", import.meta.url));

/** Run one campaign in a child process (campaign-worker.js prints the CampaignRun as JSON). */
export function runInWorker(spec: CampaignSpec): Promise<CampaignRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    // the worker watches its own clock; this only catches one that hangs
    const guard = setTimeout(() => child.kill("SIGKILL"), (spec.maxSeconds + 120) * 1000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(guard);
      const line = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as CampaignRun);
      } catch {
        reject(new Error(`campaign ${spec.engine}/${spec.bug}/seed ${spec.seed} failed (exit ${code}): ${err.trim().split("\n").slice(-5).join(" | ")}`));
      }
    });
  });
}

export function summarize(runs: readonly CampaignRun[], capSeconds: number): EngineSummary {
  const bySeed = [...runs].sort((a, b) => a.seed - b.seed);
  const secs = bySeed.map((r) => (r.found ? r.seconds : Infinity));
  const execs = bySeed.map((r) => (r.found ? r.execs : Infinity));
  const foundSecs = bySeed.filter((r) => r.found).map((r) => r.seconds);
  const fin = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    runs: runs.length,
    found: foundSecs.length,
    medianSeconds: fin(median(secs)),
    minSeconds: foundSecs.length ? Math.min(...foundSecs) : null,
    maxSeconds: foundSecs.length ? Math.max(...foundSecs) : null,
    medianExecs: fin(median(execs)),
    capSeconds,
    seconds: bySeed.map((r) => (r.found ? r.seconds : null)),
    execs: bySeed.map((r) => r.execs),
    others: [...new Set(bySeed.flatMap((r) => r.others))],
    errors: bySeed.flatMap((r) => (r.error ? [`seed ${r.seed}: ${r.error}`] : [])),
    ...(bySeed.some((r) => r.foundBy) ? { foundBy: bySeed.reduce<Record<string, number>>((a, r) => (r.foundBy ? { ...a, [r.foundBy]: (a[r.foundBy] ?? 0) + 1 } : a), {}) } : {}),
  };
}

/** slow / fast as a ratio of medians; a censored slow median gives a lower bound */
export function ratio(slow: EngineSummary | undefined, fast: EngineSummary | undefined, key: "Seconds" | "Execs"): Ratio | null {
  if (!slow || !fast) return null;
  const f = key === "Seconds" ? fast.medianSeconds : fast.medianExecs;
  if (f === null || f <= 0) return null;
  const s = key === "Seconds" ? slow.medianSeconds : slow.medianExecs;
  if (s !== null) return { value: s / f, atLeast: false };
  if (key === "Execs") {
    // the slow engine's executions by the cap: at least that many
    const most = Math.max(...slow.execs);
    return { value: most / f, atLeast: true };
  }
  return { value: slow.capSeconds / f, atLeast: true };
}

export async function timeToBug(o: TimeToBugOptions): Promise<TimeToBugResult> {
  const runner = o.runner ?? runInWorker;
  const log = o.log ?? (() => {});
  const first = o.firstSeed ?? 1;
  const caps = o.engineCaps ?? {};
  const capOf = (e: Engine) => caps[e] ?? o.maxSeconds;
  const targets: Record<string, string> = {};
  for (const bug of o.bugs) targets[bug] = o.target === "auto" ? targetForBug(bug) : o.target;
  const specs: CampaignSpec[] = [];
  // seed-major order: partial results stay balanced over engines and switches
  for (let i = 0; i < o.runsPer; i++)
    for (const bug of o.bugs)
      for (const engine of o.engines)
        if (engine !== "jazzer-edges" || !o.edgesBugs || o.edgesBugs.includes(bug))
          specs.push({ engine, bug, target: targets[bug]!, seed: first + i, maxSeconds: capOf(engine), ...(o.withoutSeeds?.length ? { withoutSeeds: o.withoutSeeds } : {}) });
  const runs: CampaignRun[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < specs.length) {
      const spec = specs[next++]!;
      const r = await runner(spec);
      runs.push(r);
      done++;
      log(
        `[ttb ${done}/${specs.length}] ${spec.bug} ${spec.engine} seed ${spec.seed}: ` +
          (r.found ? `found in ${fmtSec(r.seconds)}s, ${fmtInt(r.execs)} execs (${r.signature})` : `not found in ${fmtSec(r.seconds)}s, ${fmtInt(r.execs)} execs`) +
          (r.error ? ` ERROR ${r.error}` : ""),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, 2)) }, worker));

  const timeToBug: TimeToBugResult["timeToBug"] = {};
  const ratios: TimeToBugResult["ratios"] = {};
  for (const bug of o.bugs) {
    const per: Partial<Record<Engine, EngineSummary>> = {};
    for (const engine of o.engines)
      if (specs.some((s) => s.bug === bug && s.engine === engine)) per[engine] = summarize(runs.filter((r) => r.bug === bug && r.engine === engine), capOf(engine));
    timeToBug[bug] = per;
    const rs: Record<string, { seconds: Ratio | null; execs: Ratio | null }> = {};
    const pair = (name: string, slow: Engine, fast: Engine) => {
      if (per[slow] && per[fast]) rs[name] = { seconds: ratio(per[slow], per[fast], "Seconds"), execs: ratio(per[slow], per[fast], "Execs") };
    };
    pair("blind/jazzer", "blind", "jazzer");
    pair("fastcheck/jazzer", "fastcheck", "jazzer");
    pair("jazzer-edges/jazzer", "jazzer-edges", "jazzer");
    pair("jazzer-nodict/jazzer", "jazzer-nodict", "jazzer");
    pair("jazzer-kernel/jazzer", "jazzer-kernel", "jazzer");
    pair("jazzer-sim/jazzer", "jazzer-sim", "jazzer");
    pair("portfolio/jazzer", "portfolio", "jazzer");
    pair("portfolio/blind", "portfolio", "blind");
    ratios[bug] = rs;
  }
  return { options: { runsPer: o.runsPer, maxSeconds: o.maxSeconds, engineCaps: caps, withoutSeeds: o.withoutSeeds ?? [], target: o.target, engines: o.engines }, targets, timeToBug, ratios, runs };
}

function fmtRatio(r: Ratio | null): string {
  if (!r) return "-";
  const v = r.value >= 10 ? r.value.toFixed(0) : r.value >= 0.1 ? r.value.toFixed(1) : r.value.toPrecision(1);
  return `${r.atLeast ? ">=" : ""}${v}x`;
}

export function formatTimeToBug(r: TimeToBugResult): string {
  const caps = Object.entries(r.options.engineCaps ?? {}).map(([e, c]) => `, ${e} ${c}s`).join("");
  const lines = [
    `time to first finding: ${r.options.runsPer} campaigns per switch and engine (seeds 1..${r.options.runsPer}), cap ${r.options.maxSeconds}s${caps}; a campaign that finds nothing counts as > cap` +
      (r.options.withoutSeeds?.length ? `; seeds left out: ${r.options.withoutSeeds.join(", ")}` : ""),
    `  ${"switch (target) / engine".padEnd(34)} ${"median s".padStart(9)} ${"spread s (min-max)".padStart(19)} ${"median execs".padStart(13)} ${"found".padStart(6)}`,
  ];
  for (const [bug, per] of Object.entries(r.timeToBug)) {
    lines.push(`  ${bug} (${r.targets[bug] ?? r.options.target})`);
    for (const [engine, s] of Object.entries(per) as [Engine, EngineSummary][]) {
      const cap = s.capSeconds;
      const med = s.medianSeconds === null ? `>${cap}` : fmtSec(s.medianSeconds);
      const spread = s.minSeconds === null ? "-" : `${fmtSec(s.minSeconds)}-${s.found < s.runs ? `>${cap}` : fmtSec(s.maxSeconds!)}`;
      const execs = s.medianExecs === null ? `>${fmtInt(Math.max(...s.execs))}` : fmtInt(s.medianExecs);
      lines.push(`    ${engine.padEnd(32)} ${med.padStart(9)} ${spread.padStart(19)} ${execs.padStart(13)} ${`${s.found}/${s.runs}`.padStart(6)}`);
      for (const e of s.errors) lines.push(`      error: ${e}`);
      if (s.foundBy) lines.push(`      found by: ${Object.entries(s.foundBy).map(([e, n]) => `${e} ${n}`).join(", ")}`);
    }
    const rs = r.ratios[bug] ?? {};
    const parts = Object.entries(rs).map(([name, x]) => `${name} ${fmtRatio(x.seconds)} (time), ${fmtRatio(x.execs)} (execs)`);
    if (parts.length) lines.push(`    ratios: ${parts.join("; ")}`);
  }
  return lines.join("\n");
}
