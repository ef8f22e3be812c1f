// futex-fuzz fuzz: a jazzer.js campaign on one fuzz target, findings minimized into regressions.
import { existsSync } from "node:fs";
import { parseBugs } from "../bugs/switches.js";
import { TARGETS } from "../program/targets.js";
import { runCampaign, type CampaignResult } from "../fuzzing/campaign.js";
import { DEFAULT_REGRESSIONS, DEFAULT_WORK_DIR, displayPath, targetModule } from "../fuzzing/paths.js";
import { fmtInt, fmtSecs } from "../fuzzing/progress.js";
import { intFlag, parseArgs, strFlag, UsageError } from "./args.js";
import type { Io } from "./main.js";
import { targetTable } from "./target.js";


export const FUZZ_HELP = `usage: futex-fuzz fuzz [--target T] [--time S] [--runs N] [--bugs a,b] [--jobs N]
                      [--regressions DIR] [--keep-going] [--seed N] [--work-dir DIR] [--no-dict]
                      [--verbose]

Fuzz the simulated kernel with jazzer.js (libFuzzer). The byte corpus of the target lives in
WORK/<target>/corpus and is seeded from corpus/seeds and corpus/conformance (never from
corpus/regressions). A crash is decoded, minimized, stored into the regressions dir unless a
regression with the same signature is already there, and printed with its diagram.

  --target T         ${TARGETS.join(" | ")} (default all)
  --time S           stop after S seconds (default: no limit)
  --runs N           stop after N executions in total (default: no limit)
  --bugs a,b         switch historical bugs back on (see 'futex-fuzz bugs')
  --jobs N           N jazzer processes on the shared corpus, seeds SEED..SEED+N-1 (default 1)
  --regressions DIR  where findings are stored (default corpus/regressions)
  --keep-going       after a finding restart jazzer with the next seed, ignoring the
                     signatures found so far, until the time/runs are used up (or Ctrl-C)
  --seed N           libFuzzer -seed of the first process (default 1)
  --work-dir DIR     corpus and crash artifacts go to DIR/<target>/ (default .fuzz-out)
  --no-dict          no event dictionary (by default the seeds' events, encoded, are given to
                     libFuzzer as -dict words, so its insertions add whole events)
  --verbose          also print jazzer's own log

Without --time, --runs or --keep-going the campaign runs until the first finding or Ctrl-C.
A progress line (elapsed, execs, execs/s, coverage, corpus, findings) goes to stderr every 3s;
findings and the summary go to stdout.

exit status: 0 nothing found, 1 found something (new or duplicate finding, or a harness error),
2 usage error, 3 jazzer failed to run, 130 interrupted (Ctrl-C)
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
      seed: { value: true },
      "work-dir": { value: true },
      verbose: { value: false },
      "no-dict": { value: false },
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
      keepGoing: a.flags.has("keep-going"),
      seed,
      workDir: strFlag(a, "work-dir") ?? DEFAULT_WORK_DIR,
      verbose: a.flags.has("verbose"),
      noDict: a.flags.has("no-dict"),
    },
    io,
  );
  io.out(formatSummary(r));
  if (r.interrupted) return 130;
  if (r.outcomes.length) return 1;
  return r.errors.length ? 3 : 0;
}

const rel = displayPath;

export function formatSummary(r: CampaignResult): string {
  const count = (k: string) => r.outcomes.filter((o) => o.kind === k).length;
  const rate = r.elapsedMs > 0 ? (r.execs * 1000) / r.elapsedMs : 0;
  const lines = [
    "",
    `== fuzz summary${r.interrupted ? " (interrupted)" : ""}`,
    `target:    ${r.target}`,
    `bugs:      ${r.bugs.join(",") || "none"}`,
    `time:      ${fmtSecs(r.elapsedMs)} (${r.processes} jazzer process${r.processes === 1 ? "" : "es"})`,
    `execs:     ${fmtInt(r.execs)} (${fmtInt(rate)}/s)`,
    `coverage:  cov ${r.cov}, ft ${r.ft}`,
    `corpus:    ${r.corpusSize} inputs in ${rel(r.dirs.corpus)} (${r.seeds.seeded} seeded from text programs)`,
    `findings:  ${count("new")} new stored, ${count("duplicate")} duplicate${count("duplicate") === 1 ? "" : "s"}` +
      (count("error") ? `, ${count("error")} harness error${count("error") === 1 ? "" : "s"}` : "") +
      (count("clean") ? `, ${count("clean")} not reproducible` : ""),
  ];
  for (const o of r.outcomes) {
    const what = o.kind === "new" ? `stored ${rel(o.path!)}` : o.kind === "duplicate" ? `duplicate of ${rel(o.path!)}` : o.kind === "error" ? "harness error" : "not reproducible";
    lines.push(`  ${o.signature ?? "-"}  ${what}  (artifact ${rel(o.artifact)})`);
  }
  for (const e of r.errors) lines.push(`error:     ${e}`);
  return lines.join("\n") + "\n";
}
