// A fuzzing campaign: N jazzer.js processes on one shared byte corpus, restarted after findings
// with --keep-going, every crash artifact going through triage -> minimize -> store -> print.
//
// --jobs N runs N independent jazzer processes (distinct -seed, same corpus dir, libFuzzer's
// default -reload=1 picks up what the others add) rather than libFuzzer's -fork=N: with jazzer.js
// every fork job is a fresh node process that re-instruments the target, which halves the
// throughput (measured on 2 cores: -fork=2 ~11k execs/s against ~20k for two processes), the
// parent's exit status is 0 even when a job crashed, its log has no per-job progress, and jobs
// overrun -max_total_time by several seconds.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { BugSet } from "../bugs/switches.js";
import { targetEvents } from "../program/targets.js";
import { finishArtifact, triageArtifact, type Outcome, type Triage } from "./crash.js";
import { startJazzer, type RunningJazzer } from "./jazzer.js";
import { SEED_DIRS, targetModule, workDirs, type WorkDirs } from "./paths.js";
import { applyStatus, newWorkerStats, progressLine, retire, totals, type WorkerStats } from "./progress.js";
import { prepareWorkDir, type SeedReport } from "./seeds.js";

export interface CampaignOptions {
  target: string;
  bugs: BugSet;
  /** wall-clock budget in seconds; undefined: until a finding (or Ctrl-C with keepGoing) */
  timeSec?: number;
  /** total executions over all processes; undefined: no limit */
  runs?: number;
  jobs: number;
  regressions: string;
  keepGoing: boolean;
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
}

export interface CampaignResult {
  target: string;
  bugs: string[];
  dirs: WorkDirs;
  seeds: SeedReport;
  elapsedMs: number;
  execs: number;
  cov: number;
  ft: number;
  /** inputs in the byte corpus at the end */
  corpusSize: number;
  /** jazzer processes started */
  processes: number;
  outcomes: Outcome[];
  /** jazzer processes that failed without leaving an artifact (could not start, died) */
  errors: string[];
  interrupted: boolean;
}

export interface CampaignIo {
  out(s: string): void;
  err(s: string): void;
}

/** a worker's share of the executions budget */
export function splitRuns(runs: number, jobs: number, i: number): number {
  return Math.floor(runs / jobs) + (i < runs % jobs ? 1 : 0);
}

const ARTIFACT = /^(crash|timeout|oom|leak|slow-unit)-/;

function listArtifacts(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => ARTIFACT.test(n)).map((n) => join(dir, n)) : [];
}

export function countInputs(dir: string): number {
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith(".") && !n.includes(".tmp-")).length : 0;
}

export async function runCampaign(o: CampaignOptions, io: CampaignIo): Promise<CampaignResult> {
  const table = targetEvents(o.target);
  const dirs = workDirs(o.workDir, o.target);
  const { seeds, dict, words: dictWords } = prepareWorkDir(dirs, table, o.seedDirs ?? SEED_DIRS, { bugs: o.bugs, noDict: o.noDict });
  for (const b of seeds.broken) io.err(`[fuzz] skipping seed: ${b}\n`);
  const bugs = [...o.bugs];
  io.err(
    `[fuzz] target ${o.target}, bugs ${bugs.join(",") || "none"}, ${o.jobs} worker${o.jobs > 1 ? "s" : ""}` +
      `${o.timeSec !== undefined ? `, ${o.timeSec}s` : ""}${o.runs !== undefined ? `, ${o.runs} runs` : ""}` +
      `; seeds: ${seeds.seeded} of ${seeds.files} programs (${seeds.outOfTarget} outside the target${seeds.firing ? `, ${seeds.firing} left out: they already fire under the switches` : ""}); corpus ${dirs.corpus} (${countInputs(dirs.corpus)} inputs); ${dict ? `dictionary of ${dictWords} encoded events` : "no dictionary"}\n`,
  );

  const start = Date.now();
  const deadline = o.timeSec !== undefined ? start + o.timeSec * 1000 : undefined;
  const stats: WorkerStats[] = Array.from({ length: o.jobs }, newWorkerStats);
  const outcomes: Outcome[] = [];
  const errors: string[] = [];
  const found = new Set<string>();
  const claimed = new Set<string>();
  const running = new Set<RunningJazzer>();
  let nextSeed = o.seed;
  let processes = 0;
  let stopping = false;
  let interrupted = false;
  const stopAll = () => {
    stopping = true;
    for (const r of running) r.interrupt();
  };
  const onSigint = () => {
    if (!interrupted) io.err("\n[fuzz] interrupted: stopping jazzer (Ctrl-C twice more to kill it)\n");
    interrupted = true;
    stopAll();
  };
  const findings = () => outcomes.filter((x) => x.kind === "new" || x.kind === "duplicate").length;
  const progressMs = o.progressMs ?? 3000;
  let lastPrint = start;
  const tick = setInterval(() => {
    const now = Date.now();
    if (now - lastPrint >= progressMs) {
      lastPrint = now;
      io.err(progressLine(now - start, totals(stats), findings(), running.size) + "\n");
    }
    // libFuzzer stops itself at -max_total_time; this only catches a process that hangs
    if (deadline !== undefined && now > deadline + 15_000) stopAll();
  }, 250);

  const launch = (i: number, runsLeft: number | undefined): { run: RunningJazzer; seed: number } | null => {
    if (stopping) return null;
    let maxTotalTime: number | undefined;
    if (deadline !== undefined) {
      const left = deadline - Date.now();
      if (left < 1000) return null;
      maxTotalTime = Math.max(1, Math.round(left / 1000));
    }
    if (runsLeft !== undefined && runsLeft <= 0) return null;
    const seed = nextSeed++;
    processes++;
    const env = { ...process.env, FUTEX_FUZZ_BUGS: bugs.join(","), FUTEX_FUZZ_IGNORE: [...found].join(",") };
    const tag = o.jobs > 1 ? `[w${i}] ` : "";
    const r = startJazzer(
      { target: o.module ?? targetModule(o.target), corpus: [dirs.corpus], artifacts: dirs.artifacts, seed, maxTotalTime, runs: runsLeft, dict },
      {
        cwd: dirs.root,
        env,
        onStatus: (s) => applyStatus(stats[i]!, s),
        onLine: o.verbose ? (l) => io.err(`${tag}${l}\n`) : undefined,
      },
    );
    running.add(r);
    return { run: r, seed };
  };

  const worker = async (i: number): Promise<void> => {
    let runsLeft = o.runs !== undefined ? splitRuns(o.runs, o.jobs, i) : undefined;
    const before = () => new Set(listArtifacts(dirs.artifacts));
    let seen = before();
    let cur = launch(i, runsLeft);
    while (cur) {
      const { run, seed } = cur;
      const res = await run.done;
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
          const why = `jazzer (seed ${seed}) exited with ${res.signal ?? `status ${res.code}`} and no artifact`;
          errors.push(why);
          io.err(`[fuzz] ${why}; its last lines:\n${res.tail.map((l) => `  | ${l}`).join("\n")}\n`);
        }
        return;
      }
      const triaged: Triage[] = arts.map((a) => triageArtifact(a, o.target, o.bugs));
      for (const t of triaged) if (t.kind === "finding") found.add(t.signature);
      if (!o.keepGoing) stopAll();
      // restart first (the next process fuzzes while this one's findings are minimized); the
      // new process ignores every signature found so far so it can look for different bugs
      seen = before();
      cur = launch(i, runsLeft);
      const origin = `seed ${seed}${o.jobs > 1 ? `, worker ${i}` : ""}, after ${((Date.now() - start) / 1000).toFixed(1)}s`;
      for (const t of triaged)
        try {
          outcomes.push(finishArtifact(t, { bugs: o.bugs, regressions: o.regressions, budget: o.minimizeBudget, origin }, io));
        } catch (e) {
          // still a finding (exit status 1), just not stored
          io.err(`[fuzz] could not minimize/store ${t.artifact}: ${(e as Error).stack ?? e}\n`);
          outcomes.push({ kind: "error", artifact: t.artifact, signature: t.kind === "finding" ? t.signature : undefined });
        }
    }
  };

  process.on("SIGINT", onSigint);
  try {
    await Promise.all(Array.from({ length: o.jobs }, (_, i) => worker(i)));
  } finally {
    clearInterval(tick);
    process.off("SIGINT", onSigint);
    for (const r of running) r.interrupt();
  }
  const t = totals(stats);
  return {
    target: o.target,
    bugs,
    dirs,
    seeds,
    elapsedMs: Date.now() - start,
    execs: t.execs,
    cov: t.cov,
    ft: t.ft,
    corpusSize: countInputs(dirs.corpus),
    processes,
    outcomes,
    errors,
    interrupted,
  };
}
