// futex-fuzz fuzz: a jazzer.js campaign on one fuzz target, findings minimized into regressions.
import { existsSync } from "node:fs";
import { parseBugs } from "../bugs/switches.js";
import { TARGETS } from "../program/targets.js";
import { runCampaign, type CampaignResult } from "../fuzzing/campaign.js";
import { isFinding, outcomeStatus } from "../corpus/outcome.js";
import { EXIT, EXIT_HELP, worst } from "./exit.js";
import { DEFAULT_REGRESSIONS, DEFAULT_WORK_DIR, displayPath, targetModule } from "../fuzzing/paths.js";
import { fmtInt, fmtSecs } from "../fuzzing/progress.js";
import { BURST_RUNS, LEAD_RUNS, DEFAULT_ENGINES, ENGINE_NAMES, SLICE_SEC, parseEngines, tallySummary, type EngineName } from "../fuzzing/portfolio.js";
import { intFlag, notAFile, parseArgs, strFlag, UsageError } from "./args.js";
import type { Io } from "./main.js";
import { targetTable } from "./target.js";


export const FUZZ_HELP = `usage: futex-fuzz fuzz [--target T] [--time S] [--runs N] [--stop-on-first] [--bugs a,b]
                      [--jobs N] [--regressions DIR] [--keep-going] [--seed N] [--work-dir DIR]
                      [--no-dict] [--engines jazzer,gen] [--verbose]

Fuzz the simulated kernel with jazzer.js (libFuzzer) and a generative engine (--engines). The
byte corpus of the target lives in WORK/<target>/corpus and is seeded from corpus/seeds and
corpus/conformance (never from corpus/regressions). A crash is decoded, minimized, stored into the regressions dir unless a
regression with the same signature is already there, and printed with its diagram.

A time budget is a budget: --time S fuzzes for S seconds and reports every distinct finding,
each minimized, deduplicated and stored; after a finding jazzer restarts with the next seed,
ignoring the signatures found so far. --stop-on-first stops at the first finding instead.

  --target T         ${TARGETS.join(" | ")} (default all)
  --time S           fuzz for S seconds (default: no limit)
  --runs N           stop after N executions in total (default: no limit)
  --stop-on-first    stop at the first finding (default with --time/--runs: keep going)
  --bugs a,b         switch historical bugs back on (see 'futex-fuzz bugs')
  --jobs N           N jazzer processes on the shared corpus, seeds SEED..SEED+N-1 (default 1)
  --regressions DIR  where findings are stored (default corpus/regressions)
  --keep-going       without --time or --runs: keep going past findings until Ctrl-C
  --seed N           libFuzzer -seed of the first process (default 1)
  --work-dir DIR     corpus and crash artifacts go to DIR/<target>/ (default .fuzz-out); a
                     campaign holds DIR/<target>/lock: a second campaign or 'corpus merge' on
                     the same target is refused, naming its pid (a killed holder's lock is
                     taken over). Each artifact gets a sidecar <artifact>.json naming its target
                     and switches; progress.jsonl and findings.jsonl log the campaign.
  --no-dict          no event dictionary (by default the seeds' events, encoded, are given to
                     libFuzzer as -dict words, so its insertions add whole events)
  --engines E,E      the portfolio: ${ENGINE_NAMES.join(", ")} (default ${DEFAULT_ENGINES.join(",")}). jazzer: coverage and
                     kernel-state feedback; gen: long random programs through the decoder and
                     schedule perturbations (@k, step, cpu, gp) of the corpus's programs, in a
                     process of its own after a first burst run in this one: ${LEAD_RUNS} blind
                     programs (random bytes, the seed's stream; the corpus is seeded after them:
                     guessing finds some bugs in milliseconds), then ${BURST_RUNS} of the engine's.
                     With --jobs >= the number of engines the workers are split between
                     them; with fewer, each worker takes them in turn: gen ${SLICE_SEC.gen}s, jazzer ${SLICE_SEC.jazzer}s, ...
                     Both share the corpus dir and one triage; a finding says which engine found it
  --verbose          also print the engines' own logs

Without --time, --runs or --keep-going the campaign runs until the first finding or Ctrl-C.
A progress line (elapsed, execs, execs/s, coverage, corpus, findings) goes to stderr every 3s;
findings and the summary go to stdout. Jazzer runs in a process group of its own and stops
within a second if futex-fuzz dies, even by SIGKILL.

${EXIT_HELP}
  (1: a new or duplicate finding; 3: jazzer failed, or an artifact gave a harness error or no
  verdict; the most severe wins)
`;

export async function fuzzCommand(argv: string[], io: Io): Promise<number> {
  const a = parseArgs(
    argv,
    {
      target: { value: true },
      time: { value: true },
      runs: { value: true },
      bugs: { value: true },
      jobs: { value: true },
      regressions: { value: true },
      "keep-going": { value: false },
      "stop-on-first": { value: false },
      seed: { value: true },
      "work-dir": { value: true },
      verbose: { value: false },
      "no-dict": { value: false },
      engines: { value: true },
      help: { value: false },
    },
    { "-h": "--help" },
  );
  if (a.flags.has("help")) return io.out(FUZZ_HELP), 0;
  if (a.positional.length) throw new UsageError(`unexpected argument '${a.positional[0]}'`);
  const target = strFlag(a, "target") ?? "all";
  targetTable(target);
  const bugs = parseBugs(strFlag(a, "bugs"));
  const timeSec = a.flags.has("time") ? intFlag(a, "time", 0, 1) : undefined;
  const runs = a.flags.has("runs") ? intFlag(a, "runs", 0, 1) : undefined;
  const jobs = intFlag(a, "jobs", 1, 1);
  if (jobs > 256) throw new UsageError(`--jobs ${jobs} is too many (at most 256)`);
  // libFuzzer treats -seed=0 as "pick one from the clock": not reproducible
  const seed = intFlag(a, "seed", 1, 1);
  if (seed > 0xffffffff) throw new UsageError("--seed must fit in 32 bits");
  if (a.flags.has("regressions") && !strFlag(a, "regressions")) throw new UsageError("--regressions needs a directory");
  notAFile(strFlag(a, "work-dir"));
  notAFile(strFlag(a, "regressions"));
  const engines = enginesFlag(strFlag(a, "engines"));
  const module = targetModule(target);
  if (!existsSync(module)) {
    io.err(`futex-fuzz fuzz: ${module} is missing; run \`npm run build\` first\n`);
    return 3;
  }
  const r = await runCampaign(
    {
      target,
      bugs,
      timeSec,
      runs,
      jobs,
      regressions: strFlag(a, "regressions") ?? DEFAULT_REGRESSIONS,
      stopOnFirst: a.flags.has("stop-on-first"),
      ...(a.flags.has("keep-going") ? { keepGoing: true } : {}),
      seed,
      workDir: strFlag(a, "work-dir") ?? DEFAULT_WORK_DIR,
      verbose: a.flags.has("verbose"),
      noDict: a.flags.has("no-dict"),
      engines,
    },
    io,
  );
  io.out(formatSummary(r));
  if (r.interrupted) return EXIT.interrupted;
  return worst(r.errors.length ? EXIT.harness : EXIT.clean, ...r.outcomes.map(outcomeStatus));
}

function enginesFlag(v: string | undefined): EngineName[] {
  try {
    return parseEngines(v ?? DEFAULT_ENGINES.join(","));
  } catch (e) {
    throw new UsageError(`--engines: ${(e as Error).message}`);
  }
}

const rel = displayPath;

/** `1 process`, `a burst in this process + 2 processes` */
function launched(r: CampaignResult): string {
  const bursts = r.engines.gen.bursts + r.engines.jazzer.bursts;
  const procs = `${r.processes} process${r.processes === 1 ? "" : "es"}`;
  if (bursts === 0) return procs;
  return `${bursts === 1 ? "a burst" : `${bursts} bursts`} in this process${r.processes > 0 ? ` + ${procs}` : ""}`;
}

export function formatSummary(r: CampaignResult): string {
  const count = (k: string) => r.outcomes.filter((o) => o.kind === k).length;
  const rate = r.elapsedMs > 0 ? (r.execs * 1000) / r.elapsedMs : 0;
  const lines = [
    "",
    `== fuzz summary${r.interrupted ? " (interrupted)" : ""}`,
    `target:    ${r.target}`,
    `bugs:      ${r.bugs.join(",") || "none"}`,
    `time:      ${fmtSecs(r.elapsedMs)} (${launched(r)})`,
    `engines:   ${tallySummary(r.engines)}`,
    `execs:     ${fmtInt(r.execs)} (${fmtInt(rate)}/s)`,
    `coverage:  cov ${r.cov}, ft ${r.ft}`,
    `corpus:    ${r.corpusSize} inputs in ${rel(r.dirs.corpus)} (${r.seeds.seeded} seeded from text programs)`,
    `findings:  ${count("new")} new stored, ${count("duplicate")} duplicate${count("duplicate") === 1 ? "" : "s"}` +
      (count("error") ? `, ${count("error")} harness error${count("error") === 1 ? "" : "s"}` : "") +
      (count("no-verdict") ? `, ${count("no-verdict")} without verdict` : "") +
      (count("clean") ? `, ${count("clean")} not reproducible` : ""),
  ];
  for (const o of r.outcomes) {
    const what = isFinding(o)
      ? o.kind === "duplicate"
        ? `duplicate of ${rel(o.path ?? "")}`
        : `stored ${rel(o.path ?? "")}`
      : o.kind === "error"
        ? "harness error"
        : o.kind === "no-verdict"
          ? "no verdict (step budget)"
          : "not reproducible";
    lines.push(`  ${isFinding(o) ? o.signature : "-"}  ${what}  (artifact ${rel(o.source)})`);
  }
  for (const e of r.errors) lines.push(`error:     ${e}`);
  return lines.join("\n") + "\n";
}
