// npm run bench [-- --json] [--seconds S] [--only executor] [--bugs [ids]] [--runs-per N] ...
//
// Without --bugs: throughput figures and ratios measured in one run (scripts/bench/throughput.ts:
// executor points/s vs a bare generator loop, in-process execs/s per target with state feedback
// and with edges only, cost growth with program length) and the cache-line model of futex
// reference counting (scripts/bench/cachelines.ts).
// With --bugs: the same, then the time-to-bug campaigns (scripts/bench/timetobug.ts).
// --md FILE writes everything as a markdown page too (scripts/bench/report.ts).
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SEED_DIRS } from "../src/fuzzing/paths.js";
import { BUGS } from "../src/bugs/registry.js";
import { TARGET_EVENTS, TARGETS } from "../src/program/targets.js";
import { cachelineBench, formatCachelines } from "./bench/cachelines.js";
import { DEFAULT_ENGINES, ENGINES, type Engine } from "./bench/engines.js";
import { corpusBench, executorBench, lengthBench, nativePcIndir, targetBench, type CorpusFigures } from "./bench/throughput.js";
import { BENCH_INPUTS_DIR, loadInputs } from "./bench/inputs.js";
import { formatInstrumentation, instrumentationBench, VARIANTS } from "./bench/instrumentation.js";
import { formatTimeToBug, timeToBug, type TimeToBugResult } from "./bench/timetobug.js";
import { markdownReport, type BenchOutput } from "./bench/report.js";
import { fmtInt } from "./bench/util.js";

const USAGE = `usage: npm run bench -- [--json] [--seconds S] [--no-throughput] [--only executor|instrumentation] [--inputs DIR]
                        [--repeat N] [--fuzz-runs N] [--rounds N] [--variants v,v...]
                        [--bugs [id,id...]] [--runs-per N] [--max-seconds S] [--engines e,e...]
                        [--engine-caps e=S,...] [--edges-bugs id,id...] [--target T] [--jobs 1|2]
                        [--without-seeds f.fz,...] [--md FILE]

  --seconds S       throughput measuring time per figure (default 3)
  --only executor   just the executor on the bench input set next to the bare 3-deep yield*
                    loop (~10 s): executor.corpusPointsPerSecond, corpusExecsPerSecond,
                    corpusBareFraction. For a CPU profile of the executor alone:
                      npm run build && node --cpu-prof --cpu-prof-dir=prof dist/scripts/bench.js --only executor
  --only instrumentation  what each part of jazzer.js's instrumentation costs against the
                    in-process rate on the bench inputs (docs/instrumentation-costs.md; ~2 min)
    --repeat N      times each input runs in the replay (default 3)
    --fuzz-runs N   fuzzing runs per jazzer variant after its corpus replay (default 10000)
    --rounds N      each variant's best of N runs (default 2)
    --variants v,v  ${VARIANTS.map((v) => v.name).join(",")} (default: all)
  --inputs DIR      the bench input set (default bench/inputs; refreshed by
                    node dist/scripts/refresh-bench-inputs.js)
  --no-throughput   skip the throughput and cache-line figures (with --bugs)
  --bugs [ids]      time-to-bug campaigns for these switches (no ids: every switch in the registry)
  --runs-per N      campaigns per switch and engine, seeds 1..N (default 5)
  --max-seconds S   cap per campaign; a campaign that finds nothing counts as > S (default 600)
  --engine-caps e=S,...  a different cap for some engines, e.g. blind=120 (its misses read as > 120
                    and its ratio to jazzer as a lower bound)
  --engines list    ${ENGINES.join(",")} (default ${DEFAULT_ENGINES.join(",")})
  --edges-bugs ids  run the jazzer-edges engine only for these switches (default: every --bugs one)
  --target T        fuzz target the campaigns use: ${Object.keys(TARGET_EVENTS).join(", ")}, or auto (default):
                    per switch, the smallest target covering its reproducers in corpus/regressions
  --without-seeds f.fz,...  leave these seed files out of the jazzer campaigns' corpus and
                    dictionary (is a switch found without the seed closest to it?)
  --jobs N          campaigns at a time, 1 or 2 (default 1: timings are not shared with another)
  --json            print one JSON object instead of the tables
  --md FILE         also write the results as markdown to FILE (e.g. docs/bench-results.md)
`;

function fail(msg: string): never {
  process.stderr.write(`bench: ${msg}\n${USAGE}`);
  process.exit(2);
}

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const json = argv.includes("--json");
const noThroughput = argv.includes("--no-throughput");
function value(flag: string): string | undefined {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith("--")) fail(`${flag} needs a value`);
  return v;
}
/** a comma list: `a, b,,c` -> [a, b, c] */
function items(v: string): string[] {
  return v.split(",").map((s) => s.trim()).filter(Boolean);
}
/** the comma list of a flag (undefined: flag absent) */
function list(flag: string): string[] | undefined {
  const v = value(flag);
  return v === undefined ? undefined : items(v);
}
function num(flag: string, dflt: number, min: number, max = Infinity): number {
  const v = value(flag);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) fail(`${flag} ${v}: expected a number in [${min}, ${max}]`);
  return n;
}
const known = new Set([
  "--json",
  "--no-throughput",
  "--seconds",
  "--bugs",
  "--runs-per",
  "--max-seconds",
  "--engines",
  "--target",
  "--jobs",
  "--edges-bugs",
  "--engine-caps",
  "--without-seeds",
  "--md",
  "--only",
  "--inputs",
  "--fuzz-runs",
  "--repeat",
  "--rounds",
  "--variants",
]);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (!a.startsWith("--")) continue;
  if (!known.has(a)) fail(`unknown option ${a}`);
}

const SECONDS = num("--seconds", 3, 0.1);
let bugs: string[] | null = null;
{
  const i = argv.indexOf("--bugs");
  if (i >= 0) {
    const v = argv[i + 1];
    bugs = v === undefined || v.startsWith("--") ? BUGS.map((b) => b.id) : items(v);
    for (const id of bugs) if (!BUGS.some((b) => b.id === id)) fail(`unknown bug switch '${id}' (known: ${BUGS.map((b) => b.id).join(", ")})`);
    if (bugs.length === 0) fail("--bugs: no switch");
  }
}
const runsPer = num("--runs-per", 5, 1);
const maxSeconds = num("--max-seconds", 600, 1);
const jobs = num("--jobs", 1, 1, 2);
const target = value("--target") ?? "auto";
if (target !== "auto" && !TARGET_EVENTS[target]) fail(`unknown target '${target}' (known: ${TARGETS.join(", ")}, auto)`);
const engines = (list("--engines") ?? [...DEFAULT_ENGINES]) as Engine[];
for (const e of engines) if (!ENGINES.includes(e)) fail(`unknown engine '${e}' (known: ${ENGINES.join(", ")})`);
const engineCaps: Partial<Record<Engine, number>> = {};
for (const part of list("--engine-caps") ?? []) {
  const m = /^([a-z-]+)=(\d+(?:\.\d+)?)$/.exec(part);
  if (!m) fail(`--engine-caps: '${part}' is not engine=seconds`);
  const [, e, secs] = m!;
  if (!ENGINES.includes(e as Engine)) fail(`--engine-caps: unknown engine '${e}' (known: ${ENGINES.join(", ")})`);
  if (Number(secs) < 1) fail(`--engine-caps: ${e}'s cap must be at least 1 s`);
  engineCaps[e as Engine] = Number(secs);
}
const withoutSeeds = list("--without-seeds");
for (const f of withoutSeeds ?? []) if (!SEED_DIRS.some((d) => existsSync(join(d, f)))) fail(`--without-seeds: no seed file '${f}' in ${SEED_DIRS.join(" or ")}`);
const edgesBugs = list("--edges-bugs");
for (const id of edgesBugs ?? []) if (!bugs?.includes(id)) fail(`--edges-bugs: '${id}' is not one of the --bugs switches`);

const ONLY = ["executor", "instrumentation"] as const;
const only = value("--only");
if (only !== undefined && !ONLY.some((o) => o === only)) fail(`--only ${only}: expected one of ${ONLY.join(", ")}`);
if (only && bugs) fail("--only and --bugs do not go together");
const inputsDir = value("--inputs") ?? BENCH_INPUTS_DIR;
let benchInputs;
try {
  benchInputs = loadInputs(undefined, inputsDir).map((i) => i.program);
} catch (e) {
  fail((e as Error).message);
}

const fuzzRuns = num("--fuzz-runs", 10_000, 1);
const rounds = num("--rounds", 2, 1);
const repeat = num("--repeat", 3, 1);
const variants = list("--variants");
for (const v of variants ?? []) if (!VARIANTS.some((x) => x.name === v)) fail(`unknown variant '${v}' (known: ${VARIANTS.map((x) => x.name).join(", ")})`);

const mdFile = value("--md");
const startedAt = new Date();
const report: BenchOutput = {};
const out: Record<string, unknown> = {};
const say = (s: string) => {
  if (!json) console.log(s);
};

function sayCorpus(c: CorpusFigures): void {
  say(
    `executor on ${c.corpusPrograms} bench inputs: ${fmtInt(c.corpusExecsPerSecond)} execs/s, ${fmtInt(c.corpusPointsPerSecond)} points/s ` +
      `(${c.corpusPointsPerExec.toFixed(0)} points/exec); bare 3-deep yield* loop ${fmtInt(c.bare3PointsPerSecond)}/s; ` +
      `fraction ${(c.corpusBareFraction * 100).toFixed(2)}% of bare`,
  );
}

if (only === "instrumentation") {
  const instrumentation = await instrumentationBench({ programs: benchInputs, repeat, fuzzRuns, rounds, variants, log: (l) => process.stderr.write(l + "\n") });
  out.instrumentation = instrumentation;
  report.instrumentation = instrumentation;
  say(formatInstrumentation(instrumentation));
} else if (only === "executor") {
  const executor = corpusBench(SECONDS, benchInputs);
  out.executor = executor;
  report.corpus = executor;
  sayCorpus(executor);
} else if (!(bugs && noThroughput)) {
  const pc = nativePcIndir();
  const executor = { ...executorBench(SECONDS), ...corpusBench(SECONDS, benchInputs) };
  const targets = targetBench(SECONDS, pc.fn);
  const length = lengthBench(SECONDS);
  const cachelines = cachelineBench();
  Object.assign(out, { executor, targets, length, feedback: { nativeTracer: pc.native }, cachelines });
  Object.assign(report, { executor, corpus: executor, targets, length, cachelines });
  sayCorpus(executor);
  say(`executor on generated programs: ${fmtInt(executor.pointsPerSecond)} preemption points/s; bare generator loop ${fmtInt(executor.barePointsPerSecond)}/s; ratio ${executor.bareRatio.toFixed(1)}x`);
  for (const [n, t] of Object.entries(targets))
    say(
      `target ${n.padEnd(15)} ${fmtInt(t.execsPerSecond)} execs/s (in-process, sync, state feedback: ${t.featuresPerExec.toFixed(1)} features/exec); ` +
        `edges only ${fmtInt(t.edgesExecsPerSecond)} execs/s (state costs ${((t.edgesExecsPerSecond / t.execsPerSecond - 1) * 100).toFixed(0)}%)`,
    );
  if (!pc.native) say("  (jazzer.js addon not loadable: state features went to a no-op instead of the native tracePcIndir)");
  for (const [n, t] of Object.entries(length)) say(`length ${n.padStart(3)} events: ${fmtInt(t.execsPerSecond)} execs/s, ${t.pointsPerExec.toFixed(0)} points/exec`);
  say(`cost growth 16 -> 256 events: ${(length["16"]!.execsPerSecond / length["256"]!.execsPerSecond).toFixed(1)}x slower per exec`);
  say("");
  say(formatCachelines(cachelines));
}

if (bugs) {
  if (!json) say("");
  const r: TimeToBugResult = await timeToBug({
    bugs,
    engines,
    runsPer,
    maxSeconds,
    engineCaps,
    withoutSeeds,
    target,
    jobs,
    edgesBugs,
    log: (l) => process.stderr.write(l + "\n"),
  });
  out.timeToBug = r.timeToBug;
  out.timeToBugRatios = r.ratios;
  out.timeToBugOptions = { ...r.options, targets: r.targets };
  out.campaigns = r.runs;
  report.ttb = r;
  say(formatTimeToBug(r));
}

if (mdFile) writeFileSync(mdFile, markdownReport(report, argv, startedAt, (Date.now() - startedAt.getTime()) / 1000));
if (json) process.stdout.write(JSON.stringify(out) + "\n");
