// The portfolio: `futex-fuzz fuzz` runs jazzer (coverage + state feedback) and the generative
// engine (src/fuzzing/generative.ts, one process per launch: generative-worker.ts) side by side.
// Both speak libFuzzer's log and leave crash-* artifacts in the same dir, so a campaign starts,
// watches, restarts and triages them the same way (src/fuzzing/campaign.ts).
//   - with at least as many workers as engines, the workers are split between them (worker i runs
//     engines[i % n]);
//   - with fewer, each worker time-slices: its launches alternate engines, the generative engine
//     first and for a short slice (the shallow bugs, which random programs find in seconds), then
//     jazzer for a long one (it spends 2-5 s of each launch starting up and replaying the corpus).
//   - a worker whose first engine is gen starts with a burst of it in the campaign's own process
//     (generative-here.ts), which executes at once where a fresh process first spends a few
//     hundred milliseconds loading; then the turns above begin.
import { dirname, join } from "node:path";
import type { JazzerRun } from "./jazzer.js";
import { PROJECT_ROOT } from "./paths.js";

export const ENGINE_NAMES = ["jazzer", "gen"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
/** what `futex-fuzz fuzz` runs unless told (--engines) */
export const DEFAULT_ENGINES: readonly EngineName[] = ["jazzer", "gen"];
/** an engine's time slice when one worker runs several */
export const SLICE_SEC: Readonly<Record<EngineName, number>> = { gen: 30, jazzer: 30 };

function isEngine(s: string): s is EngineName {
  return ENGINE_NAMES.some((e) => e === s);
}

/** `jazzer,gen` -> engines; throws on an unknown or repeated name, or none */
export function parseEngines(list: string): EngineName[] {
  const out: EngineName[] = [];
  for (const raw of list.split(",")) {
    const e = raw.trim();
    if (!e) continue;
    if (!isEngine(e)) throw new Error(`unknown engine '${e}' (known: ${ENGINE_NAMES.join(", ")})`);
    if (out.includes(e)) throw new Error(`engine '${e}' given twice`);
    out.push(e);
  }
  if (out.length === 0) throw new Error("no engine given");
  return out;
}

export interface Portfolio {
  engines: readonly EngineName[];
  jobs: number;
  /** time slices (default SLICE_SEC) */
  slices?: Partial<Record<EngineName, number>>;
}

export function timeSliced(p: Portfolio): boolean {
  return p.engines.length > 1 && p.jobs < p.engines.length;
}

/** the engine of worker `worker`'s `launch`-th process (0-based) */
export function engineFor(p: Portfolio, worker: number, launch: number): EngineName {
  const n = p.engines.length;
  if (!timeSliced(p)) return p.engines[worker % n]!;
  const order = [...p.engines].sort((a, b) => Number(b === "gen") - Number(a === "gen"));
  return order[(worker + launch) % n]!;
}

/**
 * The in-process burst a gen-first worker starts with, in executions: a count, not a time, so a
 * seed's programs are the same on a fast machine and a slow one (about 1-3 s of the simulator).
 */
export const BURST_RUNS = 5000;

/**
 * The burst's lead, in executions: blind guessing before the burst reads the corpus, so the
 * campaign seeds its corpus only after it (src/fuzzing/generative-engine.ts). Random bytes find
 * six historical switches within a few hundred programs (docs/bench-timetobug.md), faster than
 * the seeding alone. This many take 0.5-1 s, the first programs of a process running cold;
 * guessing found those six by program 1,000 in every campaign measured, most by 200. A longer
 * lead catches more of what guessing finds and delays everything the engine finds: 30,000
 * (2-2.5 s) made the switches the engine finds in its first second three to four times slower.
 */
export const LEAD_RUNS = 2000;

export interface LaunchPlan {
  engine: EngineName;
  /** in the campaign's process (the burst), not a process of its own */
  here: boolean;
  /** its time cap (undefined: none) */
  seconds: number | undefined;
  /** its executions cap (the burst's, its lead included; undefined: the worker's share of --runs) */
  runs?: number;
  /** the burst's lead: blind programs before it reads the corpus */
  lead?: number;
}

/**
 * Launch `launch` (0-based) of worker `worker` with `left` seconds of the campaign to go: with a
 * burst (executions; 0: none), a worker whose first engine is gen starts with that many in this
 * process, after `lead` blind ones, and the turns of engineFor/launchSeconds follow from its next launch on.
 */
export function planLaunch(p: Portfolio, worker: number, launch: number, left: number | undefined, burst: number, lead = 0): LaunchPlan {
  const bursting = burst > 0 && engineFor(p, worker, 0) === "gen";
  if (bursting && launch === 0) return { engine: "gen", here: true, seconds: left, runs: lead + burst, lead };
  const engine = engineFor(p, worker, bursting ? launch - 1 : launch);
  return { engine, here: false, seconds: launchSeconds(p, engine, left) };
}

export function sliceOf(p: Portfolio, e: EngineName): number {
  return p.slices?.[e] ?? SLICE_SEC[e];
}

/** a launch's time cap: the time left, or the engine's slice of it when time-slicing */
export function launchSeconds(p: Portfolio, e: EngineName, left: number | undefined): number | undefined {
  if (!timeSliced(p)) return left;
  return left === undefined ? sliceOf(p, e) : Math.min(left, sliceOf(p, e));
}

export function generativeWorker(): string {
  return join(PROJECT_ROOT, "dist", "src", "fuzzing", "generative-worker.js");
}

/** The process to start for `engine`: jazzer as given, or the generative worker on the same dirs. */
export function engineRun(engine: EngineName, target: string, r: JazzerRun, lead = 0): JazzerRun {
  if (engine === "jazzer") return r;
  // the pool the engine keeps across its processes: beside the corpus, not in it (libFuzzer reads
  // the corpus dir and its subdirs)
  const argv = [generativeWorker(), "--target", target, "--seed", String(r.seed), "--corpus", r.corpus[0]!, "--artifacts", r.artifacts, "--pool", join(dirname(r.corpus[0]!), "gen-pool")];
  if (r.maxTotalTime !== undefined) argv.push("--max-total-time", String(r.maxTotalTime));
  if (r.runs !== undefined) argv.push("--runs", String(r.runs));
  if (lead > 0) argv.push("--lead", String(lead));
  return { ...r, argv };
}

/** per engine: processes started, bursts run in the campaign's process, findings (new or duplicate) its artifacts were triaged to */
export type EngineTally = Record<EngineName, { processes: number; bursts: number; findings: number }>;

export function newTally(): EngineTally {
  return { jazzer: { processes: 0, bursts: 0, findings: 0 }, gen: { processes: 0, bursts: 0, findings: 0 } };
}

/** ` [jazzer 1, gen 2]`: findings by engine, for the progress line (empty with one engine) */
export function tallyNote(p: Portfolio, t: EngineTally): string {
  if (p.engines.length < 2) return "";
  return ` [${p.engines.map((e) => `${e} ${t[e].findings}`).join(", ")}]`;
}

/** `jazzer (3 processes, 1 finding), gen (a burst + 2 processes, 0 findings)`: the engines that ran */
export function tallySummary(t: EngineTally): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : w.endsWith("s") ? "es" : "s"}`;
  return ENGINE_NAMES.filter((e) => t[e].processes + t[e].bursts > 0)
    .map((e) => {
      const runs = [t[e].bursts > 0 ? (t[e].bursts === 1 ? "a burst" : plural(t[e].bursts, "burst")) : "", t[e].processes > 0 ? plural(t[e].processes, "process") : ""];
      return `${e} (${runs.filter(Boolean).join(" + ")}, ${plural(t[e].findings, "finding")})`;
    })
    .join(", ") || "none";
}

export function describePortfolio(p: Portfolio): string {
  if (p.engines.length < 2) return `engine ${p.engines[0]}`;
  if (!timeSliced(p)) return `engines ${p.engines.join("+")} split over the workers`;
  const order = p.engines.map((e) => engineFor(p, 0, p.engines.indexOf(e)));
  return `engines ${order.map((e) => `${e} ${sliceOf(p, e)}s`).join(", ")} in turn`;
}
