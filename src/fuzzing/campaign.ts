// A fuzzing campaign: N engine processes (jazzer.js) on one shared byte corpus, restarted after
// each finding until the time/runs budget is used up (unless stopOnFirst), every crash artifact
// going through the one crash intake (triage -> minimize -> store) and printed as its Outcome.
// An engine is anything that fuzzes the target into the work dir and names the crash inputs it
// wrote (Engine below); jazzer is the one built in.
//
// --jobs N runs N independent jazzer processes (distinct -seed, same corpus dir, libFuzzer's
// default -reload=1 picks up what the others add) rather than libFuzzer's -fork=N: with jazzer.js
// every fork job is a fresh node process that re-instruments the target, which halves the
// throughput (measured on 2 cores: -fork=2 ~11k execs/s against ~20k for two processes), the
// parent's exit status is 0 even when a job crashed, its log has no per-job progress, and jobs
// overrun -max_total_time by several seconds.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { BugSet } from "../bugs/switches.js";
import { targetEvents } from "../program/targets.js";
import { writeAtomic } from "../corpus/atomic.js";
import { sidecarPath, type Sidecar } from "../corpus/input.js";
import { finish, triageFile, type Triage } from "../corpus/intake.js";
import { formatOutcome, isFinding, type Outcome } from "../corpus/outcome.js";
import { startJazzer, type JazzerRun, type ProcessResult, type Status } from "./jazzer.js";
import { lockWorkDir } from "./lock.js";
import { CampaignLog } from "./log.js";
import { displayPath, SEED_DIRS, targetModule, workDirs, type WorkDirs } from "./paths.js";
import { startGenerativeHere } from "./generative-here.js";
import { BURST_RUNS, LEAD_RUNS, describePortfolio, engineRun, newTally, planLaunch, tallyNote, type EngineName, type EngineTally, type Portfolio } from "./portfolio.js";
import { applyStatus, fmtInt, newWorkerStats, progressLine, retire, totals, type WorkerStats } from "./progress.js";
import { prepareWorkDir, type SeedReport } from "./seeds.js";

export interface CampaignOptions {
  target: string;
  bugs: BugSet;
  /** wall-clock budget in seconds; undefined: no time limit */
  timeSec?: number;
  /** total executions over all processes; undefined: no limit */
  runs?: number;
  jobs: number;
  regressions: string;
  /** stop at the first finding instead of restarting past it until the budget is used up */
  stopOnFirst?: boolean;
  /** restart past findings (default: when there is a time or runs budget; false: stop at the first) */
  keepGoing?: boolean;
  /** libFuzzer -seed of the first process; each further process takes the next one */
  seed: number;
  /** parent of <target>/{corpus,artifacts} */
  workDir: string;
  /** forward jazzer's own log */
  verbose?: boolean;
  /** how often the progress line is printed */
  progressMs?: number;
  /** text corpora the byte corpus is seeded from */
  seedDirs?: readonly string[];
  /** minimizer budget (simulator runs per finding) */
  minimizeBudget?: number;
  /** the jazzer target module; default dist/fuzz/<target>.js (tests pass a stand-in) */
  module?: string;
  /** without the event dictionary (libFuzzer -dict) built from the seeds */
  noDict?: boolean;
  /** what starts an engine process (default: jazzer.js's, which also runs the gen worker) */
  engine?: Engine;
  /** the portfolio's engines (src/fuzzing/portfolio.ts; default jazzer alone) and time slices */
  engines?: readonly EngineName[];
  slices?: Partial<Record<EngineName, number>>;
  /** the gen engine's in-process burst (executions; default BURST_RUNS, 0: none; none with a stand-in `engine`) */
  burst?: number;
  /** the blind programs the burst starts with, before the seeding (default LEAD_RUNS, 0: none) */
  lead?: number;
}

/** One fuzzing process of an engine. */
export interface EngineProcess {
  /** ends with the crash inputs it wrote (`artifacts`), its executions and exit */
  done: Promise<ProcessResult>;
  /** stop it (repeated: harder) */
  interrupt(): void;
}

/** Something that fuzzes a target into the work dir's corpus and reports crash inputs. */
export interface Engine {
  name: string;
  launch(run: JazzerRun, hooks: { cwd: string; env: NodeJS.ProcessEnv; onStatus(s: Status): void; onLine?(line: string): void; beforeCorpus?(): void }): EngineProcess;
}

export const JAZZER: Engine = { name: "jazzer", launch: startJazzer };
/** the gen engine's burst in the campaign's process (portfolio.ts) */
const GEN_HERE: Engine = { name: "gen (in process)", launch: startGenerativeHere };

export interface CampaignResult {
  target: string;
  bugs: string[];
  dirs: WorkDirs;
  seeds: SeedReport;
  elapsedMs: number;
  /** ms from the start to the end of the engine run whose artifact gave the first new or duplicate finding */
  firstFindingMs: number | undefined;
  execs: number;
  cov: number;
  ft: number;
  /** inputs in the byte corpus at the end */
  corpusSize: number;
  /** engine processes started (the gen engine's in-process burst is not one) */
  processes: number;
  outcomes: Outcome[];
  /** jazzer processes that failed without leaving an artifact (could not start, died) */
  errors: string[];
  interrupted: boolean;
  /** processes and findings per engine */
  engines: EngineTally;
}

export interface CampaignIo {
  out(s: string): void;
  err(s: string): void;
}

/** a worker's share of the executions budget */
export function splitRuns(runs: number, jobs: number, i: number): number {
  return Math.floor(runs / jobs) + (i < runs % jobs ? 1 : 0);
}

const ARTIFACT = /^(crash|timeout|oom|leak|slow-unit)-[^.]*$/;

function listArtifacts(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => ARTIFACT.test(n)).map((n) => join(dir, n)) : [];
}

/** why a campaign's process count is what it is: with a budget it restarts past findings */
export function keepsGoing(o: Pick<CampaignOptions, "stopOnFirst" | "timeSec" | "runs">): boolean {
  return !o.stopOnFirst && (o.timeSec !== undefined || o.runs !== undefined);
}

export function countInputs(dir: string): number {
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith(".") && !n.includes(".tmp-")).length : 0;
}

/** a finding's time into the campaign: centiseconds under 10 s (the shallow bugs), else tenths */
function afterSecs(ms: number): string {
  return (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
}

export async function runCampaign(o: CampaignOptions, io: CampaignIo): Promise<CampaignResult> {
  const table = targetEvents(o.target);
  const dirs = workDirs(o.workDir, o.target);
  const lock = lockWorkDir(dirs.root, `futex-fuzz fuzz --target ${o.target}`);
  try {
    return await campaignLocked(o, io, table, dirs);
  } finally {
    lock.release();
  }
}

async function campaignLocked(o: CampaignOptions, io: CampaignIo, table: ReturnType<typeof targetEvents>, dirs: WorkDirs): Promise<CampaignResult> {
  const launcher = o.engine ?? JAZZER;
  const keepGoing = o.stopOnFirst ? false : o.keepGoing ?? keepsGoing(o);
  // ---- portfolio hook: which engine each launch runs (src/fuzzing/portfolio.ts)
  const portfolio: Portfolio = { engines: o.engines ?? ["jazzer"], jobs: o.jobs, slices: o.slices };
  const tally = newTally();
  const launches: number[] = Array.from({ length: o.jobs }, () => 0);
  const burst = o.engine ? 0 : (o.burst ?? BURST_RUNS);
  const lead = burst > 0 ? (o.lead ?? LEAD_RUNS) : 0;
  // ---- end of portfolio hook
  // the campaign's clock starts before the seeding: the time to a finding is the user's
  const start = Date.now();
  const bugs = [...o.bugs];
  const leading = lead > 0 && planLaunch(portfolio, 0, 0, undefined, burst).here;
  io.err(
    `[fuzz] target ${o.target}, bugs ${bugs.join(",") || "none"}, ${o.jobs} worker${o.jobs > 1 ? "s" : ""}` +
      `, ${describePortfolio(portfolio)}${o.timeSec !== undefined ? `, ${o.timeSec}s` : ""}${o.runs !== undefined ? `, ${o.runs} runs` : ""}` +
      `${leading ? `; gen guesses first: ${fmtInt(lead)} blind programs, then the seeds` : ""}\n`,
  );
  // the seeding, once, when the first launch reads the corpus: the burst's lead runs before it
  mkdirSync(dirs.artifacts, { recursive: true });
  let seeding: ReturnType<typeof prepareWorkDir> | undefined;
  const seeded = (): ReturnType<typeof prepareWorkDir> => {
    if (seeding) return seeding;
    seeding = prepareWorkDir(dirs, table, o.seedDirs ?? SEED_DIRS, { bugs: o.bugs, noDict: o.noDict });
    const { seeds, dict, words } = seeding;
    for (const b of seeds.broken) io.err(`[fuzz] skipping seed: ${b}\n`);
    io.err(
      `[fuzz] seeds: ${seeds.seeded} of ${seeds.files} programs (${seeds.outOfTarget} outside the target${seeds.firing ? `, ${seeds.firing} left out: they already fire under the switches` : ""}); corpus ${displayPath(dirs.corpus)} (${countInputs(dirs.corpus)} inputs); ${dict ? `dictionary of ${words} encoded events` : "no dictionary"}\n`,
    );
    return seeding;
  };

  const deadline = o.timeSec !== undefined ? start + o.timeSec * 1000 : undefined;
  const stats: WorkerStats[] = Array.from({ length: o.jobs }, newWorkerStats);
  const outcomes: Outcome[] = [];
  const errors: string[] = [];
  const log = new CampaignLog(dirs.root, start);
  const found = new Set<string>();
  const claimed = new Set<string>();
  const running = new Set<EngineProcess>();
  let nextSeed = o.seed;
  let firstFindingMs: number | undefined;
  let processes = 0;
  let stopping = false;
  let interrupted = false;
  let overdue = false;
  const stopAll = () => {
    stopping = true;
    for (const r of running) r.interrupt();
  };
  const onSigint = () => {
    if (!interrupted) io.err("\n[fuzz] interrupted: stopping jazzer (Ctrl-C twice more to kill it)\n");
    interrupted = true;
    stopAll();
  };
  const findings = () => outcomes.filter(isFinding).length;
  const progressMs = o.progressMs ?? 3000;
  let lastPrint = start;
  const tick = setInterval(() => {
    const now = Date.now();
    if (now - lastPrint >= progressMs) {
      lastPrint = now;
      io.err(progressLine(now - start, totals(stats), findings(), running.size) + tallyNote(portfolio, tally) + "\n");
      log.progress(now, totals(stats), findings());
    }
    // libFuzzer stops itself at -max_total_time, but counts it from its own start, 2-5 s after
    // its launch: at the campaign's deadline (and a second's grace) every engine is asked to stop
    // (it finishes its input and prints its stats); one that hangs is asked again, then killed
    if (deadline !== undefined && now > deadline + 1000 && !overdue) {
      overdue = true;
      stopAll();
    }
    if (deadline !== undefined && now > deadline + 15_000) stopAll();
  }, 250);

  const launch = (i: number, runsLeft: number | undefined): { run: EngineProcess; seed: number; engine: EngineName; sliced: boolean } | null => {
    if (stopping) return null;
    let maxTotalTime: number | undefined;
    if (deadline !== undefined) {
      const left = deadline - Date.now();
      if (left < 1000) return null;
      maxTotalTime = Math.max(1, Math.round(left / 1000));
    }
    if (runsLeft !== undefined && runsLeft <= 0) return null;
    const seed = nextSeed++;
    const env = { ...process.env, FUTEX_FUZZ_BUGS: bugs.join(","), FUTEX_FUZZ_IGNORE: [...found].join(",") };
    const tag = o.jobs > 1 ? `[w${i}] ` : "";
    // ---- portfolio hook: this launch's engine, where it runs, and its cap when one worker time-slices engines
    const { engine, here, seconds: slice, runs: cap, lead: blind } = planLaunch(portfolio, i, launches[i]!++, maxTotalTime, burst, lead);
    if (here) tally[engine].bursts++;
    else {
      tally[engine].processes++;
      processes++;
    }
    // ---- end of portfolio hook
    // a burst seeds the corpus itself, after its lead; any other launch reads it at once
    const dict = here ? undefined : seeded().dict;
    const r = (here ? GEN_HERE : launcher).launch(
      engineRun(engine, o.target, { target: o.module ?? targetModule(o.target), corpus: [dirs.corpus], artifacts: dirs.artifacts, seed, maxTotalTime: slice, runs: cap === undefined ? runsLeft : Math.min(cap, runsLeft ?? cap), dict }, blind),
      {
        cwd: dirs.root,
        env,
        beforeCorpus: seeded,
        onStatus: (s) => applyStatus(stats[i]!, s),
        onLine: o.verbose ? (l) => io.err(`${tag}${l}\n`) : undefined,
      },
    );
    running.add(r);
    // a burst, or a time slice shorter than the time left, is followed by the worker's next launch
    return { run: r, seed, engine, sliced: here || slice !== maxTotalTime };
  };

  const worker = async (i: number): Promise<void> => {
    let runsLeft = o.runs !== undefined ? splitRuns(o.runs, o.jobs, i) : undefined;
    const before = () => new Set(listArtifacts(dirs.artifacts));
    let seen = before();
    let cur = launch(i, runsLeft);
    while (cur) {
      const { run, seed, engine, sliced } = cur;
      const res = await run.done;
      const endedAt = Date.now();
      // what follows (triage, the summary) reads the seeded corpus, even after a lead's finding
      seeded();
      running.delete(run);
      retire(stats[i]!, res.execs);
      if (runsLeft !== undefined) runsLeft -= res.execs;
      // the artifacts libFuzzer named, else (a log we could not parse) any new file
      let arts = res.artifacts;
      if (arts.length === 0 && res.code !== 0) arts = listArtifacts(dirs.artifacts).filter((a) => !seen.has(a));
      const crashed = arts.length > 0;
      // two processes can hit the same input (same crash-<sha1> file): it is handled once
      arts = arts.filter((a) => !claimed.has(a) && existsSync(a));
      for (const a of arts) claimed.add(a);
      if (!crashed) {
        if (!stopping && (res.code !== 0 || res.signal)) {
          const why = `${engine} (seed ${seed}) exited with ${res.signal ?? `status ${res.code}`} and no artifact`;
          errors.push(why);
          io.err(`[fuzz] ${why}; its last lines:\n${res.tail.map((l) => `  | ${l}`).join("\n")}\n`);
          return;
        }
        // ---- portfolio hook: a time slice ended, the worker's next engine takes over
        if (sliced && !stopping) {
          seen = before();
          cur = launch(i, runsLeft);
          continue;
        }
        // ---- end of portfolio hook
        return;
      }
      const side: Sidecar = { target: o.target, bugs, seed };
      // the sidecar names the artifact's target and switches for a later run/minimize/import; a
      // failure to write it loses a convenience, not the finding
      for (const a of arts)
        try {
          writeAtomic(sidecarPath(a), JSON.stringify(side) + "\n");
        } catch (e) {
          io.err(`[fuzz] could not write the sidecar of ${displayPath(a)}: ${e instanceof Error ? e.message : String(e)}\n`);
        }
      const triaged: Triage[] = arts.map((a) => triageFile(a, { target: o.target, bugs: bugs.join(","), by: "campaign" }));
      for (const t of triaged) if (t.kind === "finding") found.add(t.signature);
      tally[engine].findings += triaged.filter((t) => t.kind === "finding").length;
      if (!keepGoing) stopAll();
      // restart first (the next process fuzzes while this one's findings are minimized); the
      // new process ignores every signature found so far so it can look for different bugs
      seen = before();
      cur = launch(i, runsLeft);
      const origin = `${portfolio.engines.length > 1 ? `${engine}, ` : ""}seed ${seed}${o.jobs > 1 ? `, worker ${i}` : ""}, after ${afterSecs(endedAt - start)}s`;
      for (const t of triaged) {
        let oc: Outcome;
        try {
          oc = finish(t, { dest: { regressions: o.regressions }, budget: o.minimizeBudget, origin });
        } catch (e) {
          // a file-system failure while storing: still a finding, just not stored
          oc = { kind: "error", source: t.kind === "error" ? t.source : t.input.path, origin, input: "stored nowhere", error: `could not store: ${e instanceof Error ? e.message : String(e)}` };
        }
        if (firstFindingMs === undefined && isFinding(oc)) firstFindingMs = endedAt - start;
        outcomes.push(oc);
        log.finding(Date.now(), oc);
        io.out(formatOutcome(oc, { rel: displayPath }));
      }
    }
  };

  process.on("SIGINT", onSigint);
  try {
    await Promise.all(Array.from({ length: o.jobs }, (_, i) => worker(i)));
  } finally {
    clearInterval(tick);
    process.off("SIGINT", onSigint);
    // a worker that threw must not leave the others launching new processes
    stopAll();
  }
  const { seeds } = seeded();
  const t = totals(stats);
  log.progress(Date.now(), t, findings());
  return {
    target: o.target,
    bugs,
    dirs,
    seeds,
    elapsedMs: Date.now() - start,
    firstFindingMs,
    execs: t.execs,
    cov: t.cov,
    ft: t.ft,
    corpusSize: countInputs(dirs.corpus),
    processes,
    outcomes,
    errors,
    interrupted,
    engines: tally,
  };
}
