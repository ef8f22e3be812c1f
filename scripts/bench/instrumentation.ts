// What each part of jazzer.js's instrumentation costs, against the in-process rate, all on the
// bench input set (`npm run bench -- --only instrumentation`; figures in
// docs/instrumentation-costs.md).
//
// In process: the `all` target body (decode, execute, state features to jazzer.js's native
// tracePcIndir) on the inputs' bytes, each input `repeat` times in a row, in a fresh node process
// (scripts/bench/replay-child.ts) as cold as a jazzer one. Under jazzer, per
// variant, two processes, rates per CPU second of the process (read from /proc/<pid>/stat when
// the log line arrives: on a shared machine wall-clock rates mostly measure the other load):
//   replay: the same inputs as files, each run `repeat` times (libFuzzer's individual-file mode:
//           no mutation, no corpus bookkeeping), so replay / in-process is what the variant's
//           instrumentation costs the target's code
//   fuzz:   a campaign: the inputs plus the seeds as corpus (seeded as `futex-fuzz fuzz` seeds
//           it, event dictionary), then `fuzzRuns` mutations, INITED to DONE; its inputs are the
//           mutants, a different mix, so compare it across variants (and its cov/ft after the
//           same number of runs), not to the in-process rate
// Other load still slows a run a little (caches, the log lines' latency), so each figure is the
// best of `rounds`.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TARGET_EVENTS } from "../../src/program/targets.js";
import { JAZZER_FLAGS, KERNEL_ONLY, SIMULATOR_ONLY, startJazzer } from "../../src/fuzzing/jazzer.js";
import { PROJECT_ROOT, SEED_DIRS, targetModule, workDirs } from "../../src/fuzzing/paths.js";
import { prepareWorkDir, sha1 } from "../../src/fuzzing/seeds.js";
import { encode } from "../../src/program/codec.js";
import type { Program } from "../../src/program/types.js";

export interface Variant {
  name: string;
  what: string;
  jazzerFlags?: readonly string[];
  libFuzzerFlags?: readonly string[];
  feedback?: "state" | "edges";
  module?: string;
}


export const VARIANTS: readonly Variant[] = [
  { name: "default", what: `as campaigns run: ${JAZZER_FLAGS.join(" ")}, -use_value_profile=1, state features, every project module instrumented` },
  { name: "includes-kernel", what: "instrument only src/kernel and src/sanitizers (--includes)", jazzerFlags: [...JAZZER_FLAGS, ...KERNEL_ONLY] },
  { name: "includes-sim", what: "instrument only the simulator: src/kernel, src/sanitizers and src/exec (--includes)", jazzerFlags: [...JAZZER_FLAGS, ...SIMULATOR_ONLY] },
  { name: "no-cmp-hooks", what: "comparison hooks' addon calls made no-ops (scripts/bench/target-nocmp.ts)", module: "scripts/bench/target-nocmp.js" },
  { name: "no-value-profile", what: "-use_value_profile=0 and no state features (they only count under value profile)", libFuzzerFlags: ["-use_value_profile=0"], feedback: "edges" },
  { name: "no-state", what: "state features off (FUTEX_FUZZ_FEEDBACK=edges), value profile on", feedback: "edges" },
  { name: "async", what: "without --sync (a promise per input)", jazzerFlags: JAZZER_FLAGS.filter((f) => f !== "--sync") },
  { name: "dry-run", what: "--dry_run: no instrumentation; libFuzzer still mutates and counts the state features", jazzerFlags: [...JAZZER_FLAGS, "--dry_run"] },
];

export interface VariantFigures {
  name: string;
  what: string;
  replayExecsPerSecond: number;
  fuzzExecsPerSecond: number;
  /** replay rate / in-process rate on the same inputs */
  replayFraction: number;
  /** fuzz rate / the default variant's (NaN when default was not run) */
  fuzzVsDefault: number;
  /** libFuzzer's coverage and features at the end (best round) */
  cov: number;
  ft: number;
}

export interface InstrumentationFigures {
  inputs: number;
  repeat: number;
  fuzzRuns: number;
  rounds: number;
  inProcessExecsPerSecond: number;
  variants: VariantFigures[];
}

/** user + system CPU seconds of a process so far (all its threads), from /proc/<pid>/stat */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}
/** clock ticks per second of /proc's times (USER_HZ: 100 on Linux) */
const CLK_TCK = 100;

/** The in-process replay in a fresh node process (scripts/bench/replay-child.ts), same files and order. */
export function inProcessRate(files: readonly string[], repeat: number): number {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, "dist", "scripts", "bench", "replay-child.js"), String(repeat), ...files], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`in-process replay failed (${r.signal ?? r.status}): ${r.stderr.trim()}`);
  const j: { execsPerSecond: number } = JSON.parse(r.stdout);
  return j.execsPerSecond;
}

interface JazzerRates {
  replay: number;
  fuzz: number;
  cov: number;
  ft: number;
}

function jazzerEnv(v: Variant): NodeJS.ProcessEnv {
  return { ...process.env, FUTEX_FUZZ_BUGS: "", FUTEX_FUZZ_FEEDBACK: v.feedback ?? "state" };
}

function variantModule(v: Variant): string {
  return v.module ? join(PROJECT_ROOT, "dist", v.module) : targetModule("all");
}

/**
 * Replay: the input files given to libFuzzer one by one (it runs each `repeat` times and fuzzes
 * nothing), timed from the first "Running:" line to the closing note.
 */
async function replayRate(v: Variant, files: readonly string[], repeat: number, work: string): Promise<number> {
  let first: number | undefined;
  let last: number | undefined;
  let executed = 0;
  const artifacts = join(work, "replay-artifacts");
  mkdirSync(artifacts, { recursive: true });
  const run = startJazzer(
    { target: variantModule(v), corpus: files, artifacts, seed: 1, runs: repeat, jazzerFlags: v.jazzerFlags, libFuzzerFlags: v.libFuzzerFlags },
    {
      cwd: work,
      env: jazzerEnv(v),
      onStatus: () => {},
      onLine: (l) => {
        if (l.startsWith("Running: ")) first ??= cpuSeconds(run.child.pid);
        else if (l.startsWith("Executed ")) executed++;
        else if (l.includes("fuzzing was not performed")) last = cpuSeconds(run.child.pid);
      },
    },
  );
  const res = await run.done;
  if (first === undefined || last === undefined || executed !== files.length)
    throw new Error(`jazzer variant ${v.name} (exit ${res.signal ?? res.code}): replayed ${executed} of ${files.length} inputs:\n${res.tail.join("\n")}`);
  return (files.length * repeat) / (last - first);
}

/** Fuzz: a campaign's start (seeds, dictionary) plus the inputs, INITED to DONE. */
async function fuzzRate(v: Variant, inputsDir: string, fuzzRuns: number, work: string): Promise<Omit<JazzerRates, "replay">> {
  const dirs = workDirs(work, "all");
  const { dict } = prepareWorkDir(dirs, TARGET_EVENTS.all!, SEED_DIRS);
  for (const n of readdirSync(inputsDir)) copyFileSync(join(inputsDir, n), join(dirs.corpus, n));
  const corpus = readdirSync(dirs.corpus).length;
  const m: { init?: number; initExecs?: number; done?: number; doneExecs?: number; cov: number; ft: number } = { cov: 0, ft: 0 };
  const run = startJazzer(
    { target: variantModule(v), corpus: [dirs.corpus], artifacts: dirs.artifacts, seed: 1, runs: corpus + 1 + fuzzRuns, dict, jazzerFlags: v.jazzerFlags, libFuzzerFlags: v.libFuzzerFlags },
    {
      cwd: dirs.root,
      env: jazzerEnv(v),
      onStatus: (s) => {
        const now = cpuSeconds(run.child.pid);
        if (s.event === "INITED") [m.init, m.initExecs] = [now, s.execs];
        if (s.event === "DONE") [m.done, m.doneExecs] = [now, s.execs];
        [m.cov, m.ft] = [s.cov ?? m.cov, s.ft ?? m.ft];
      },
    },
  );
  const res = await run.done;
  const { init, initExecs, done, doneExecs } = m;
  if (init === undefined || initExecs === undefined || done === undefined || doneExecs === undefined)
    throw new Error(`jazzer variant ${v.name} (exit ${res.signal ?? res.code}): no INITED/DONE lines:\n${res.tail.join("\n")}`);
  return { fuzz: (doneExecs - initExecs) / (done - init), cov: m.cov, ft: m.ft };
}

async function runVariant(v: Variant, inputsDir: string, files: readonly string[], repeat: number, fuzzRuns: number): Promise<JazzerRates> {
  const work = mkdtempSync(join(tmpdir(), "futex-instr-"));
  try {
    const replay = await replayRate(v, files, repeat, work);
    return { replay, ...(await fuzzRate(v, inputsDir, fuzzRuns, work)) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function instrumentationBench(o: {
  programs: readonly Program[];
  /** times each input runs in the replay */
  repeat: number;
  fuzzRuns: number;
  rounds: number;
  variants?: readonly string[];
  log?: (line: string) => void;
}): Promise<InstrumentationFigures> {
  const bytes = o.programs.map((p) => Buffer.from(encode(p, TARGET_EVENTS.all!)));
  const dir = mkdtempSync(join(tmpdir(), "futex-instr-inputs-"));
  try {
    for (const b of bytes) writeFileSync(join(dir, sha1(b)), b);
    const files = readdirSync(dir).sort().map((n) => join(dir, n));
    const chosen = VARIANTS.filter((v) => !o.variants || o.variants.includes(v.name));
    let inProcess = 0;
    const best = new Map<string, JazzerRates>();
    for (let r = 0; r < o.rounds; r++) {
      const here = inProcessRate(files, o.repeat);
      inProcess = Math.max(inProcess, here);
      o.log?.(`[instrumentation] round ${r + 1}: in-process ${Math.round(here)} execs/s`);
      for (const v of chosen) {
        const x = await runVariant(v, dir, files, o.repeat, o.fuzzRuns);
        o.log?.(`[instrumentation] round ${r + 1}: ${v.name}: replay ${Math.round(x.replay)}/s, fuzz ${Math.round(x.fuzz)}/s, ft ${x.ft}`);
        const b = best.get(v.name);
        best.set(v.name, b ? { replay: Math.max(b.replay, x.replay), fuzz: Math.max(b.fuzz, x.fuzz), cov: Math.max(b.cov, x.cov), ft: Math.max(b.ft, x.ft) } : x);
      }
    }
    return {
      inputs: bytes.length,
      repeat: o.repeat,
      fuzzRuns: o.fuzzRuns,
      rounds: o.rounds,
      inProcessExecsPerSecond: inProcess,
      variants: chosen.map((v) => {
        const x = best.get(v.name)!;
        return { name: v.name, what: v.what, replayExecsPerSecond: x.replay, fuzzExecsPerSecond: x.fuzz, replayFraction: x.replay / inProcess, fuzzVsDefault: x.fuzz / (best.get("default")?.fuzz ?? NaN), cov: x.cov, ft: x.ft };
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatInstrumentation(f: InstrumentationFigures): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const rows = f.variants.map(
    (v) => `| ${v.name} | ${Math.round(v.replayExecsPerSecond)} | ${pct(v.replayFraction)} | ${Math.round(v.fuzzExecsPerSecond)} | ${pct(v.fuzzVsDefault)} | ${v.cov} | ${v.ft} | ${v.what} |`,
  );
  return [
    `in process: ${Math.round(f.inProcessExecsPerSecond)} execs/s on ${f.inputs} bench inputs (target all, state features to the native tracer); each input ${f.repeat} times; jazzer: best of ${f.rounds} round(s), ${f.fuzzRuns} fuzzing runs after the corpus`,
    "",
    "| variant | replay execs/s | of in-process | fuzz execs/s | of default's | cov | ft | what |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
    ...rows,
  ].join("\n");
}
