// Refresh the bench input set (bench/inputs/<target>.fzs): per fuzz target, a short jazzer
// campaign on the fixed kernel, seeded exactly as `futex-fuzz fuzz` seeds one (prepareWorkDir:
// corpus/seeds + corpus/conformance, event dictionary), run with the same argv (startJazzer) for
// a fixed number of executions; every input its byte corpus holds at the end (the seeds and what
// libFuzzer kept) is decoded with the target's event table and written as program text.
//
//   npm run build && node dist/scripts/refresh-bench-inputs.js [--runs N] [--targets a,b] [--seed N] [--out DIR]
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TARGETS, TARGET_EVENTS, targetEvents } from "../src/program/targets.js";
import { startJazzer } from "../src/fuzzing/jazzer.js";
import { SEED_DIRS, targetModule, workDirs } from "../src/fuzzing/paths.js";
import { prepareWorkDir } from "../src/fuzzing/seeds.js";
import { decode } from "../src/program/codec.js";
import type { Program } from "../src/program/types.js";
import { BENCH_INPUTS_DIR, inputsFile, writeInputs } from "./bench/inputs.js";

const USAGE = `usage: node dist/scripts/refresh-bench-inputs.js [--runs N] [--targets a,b] [--seed N] [--out DIR]

Rewrites bench/inputs/<target>.fzs, the programs \`npm run bench\` measures the executor on:
per target, a jazzer campaign of N executions (default 8000) from the seed corpus on the
fixed kernel (libFuzzer -seed N, default 1), then every input of its byte corpus as program text.
The default (target all, 8000 runs: ~10 s) keeps about 870 programs, the inputs a campaign of
\`futex-fuzz fuzz --target all\` actually executes once it is under way.

  --runs N       executions per target campaign (default 8000)
  --targets a,b  ${TARGETS.join(", ")} (default: all)
  --seed N       libFuzzer -seed (default 1)
  --out DIR      where the .fzs files go (default bench/inputs)
`;

function fail(msg: string): never {
  process.stderr.write(`refresh-bench-inputs: ${msg}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const opts: Record<string, string> = {};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (!["--runs", "--targets", "--seed", "--out"].includes(a)) fail(`unknown argument '${a}' (see --help)`);
  const v = argv[++i];
  if (v === undefined || v.startsWith("--")) fail(`${a} needs a value`);
  opts[a.slice(2)] = v;
}
function int(name: string, dflt: number): number {
  const v = opts[name];
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1) fail(`--${name} ${v}: expected a positive integer`);
  return Number(v);
}
const runs = int("runs", 8000);
const seed = int("seed", 1);
const out = opts.out ?? BENCH_INPUTS_DIR;
const targets = opts.targets ? opts.targets.split(",").filter(Boolean) : ["all"];
for (const t of targets) if (!TARGET_EVENTS[t]) fail(`unknown target '${t}' (known: ${TARGETS.join(", ")})`);
mkdirSync(out, { recursive: true });

for (const target of targets) {
  const table = targetEvents(target);
  const work = mkdtempSync(join(tmpdir(), "futex-bench-inputs-"));
  try {
    const dirs = workDirs(work, target);
    const { seeds, dict } = prepareWorkDir(dirs, table, SEED_DIRS);
    const t0 = Date.now();
    const run = startJazzer(
      { target: targetModule(target), corpus: [dirs.corpus], artifacts: dirs.artifacts, seed, runs, dict },
      { cwd: dirs.root, env: { ...process.env, FUTEX_FUZZ_BUGS: "", FUTEX_FUZZ_FEEDBACK: "state" }, onStatus: () => {} },
    );
    const res = await run.done;
    if (res.code !== 0 || res.artifacts.length > 0) fail(`jazzer on ${target} exited with ${res.signal ?? res.code}${res.artifacts.length ? " and a crash (the fixed kernel must run clean)" : ""}:\n${res.tail.join("\n")}`);
    const programs: Program[] = readdirSync(dirs.corpus)
      .filter((n) => !n.startsWith("."))
      .sort()
      .map((n) => decode(readFileSync(join(dirs.corpus, n)), table));
    const header =
      `# futex-fuzz bench inputs: target ${target}\n` +
      `# the byte corpus of a ${runs}-execution jazzer campaign (libFuzzer -seed ${seed}, fixed kernel) from ${seeds.seeded} seed programs,\n` +
      `# as text; refreshed by scripts/refresh-bench-inputs.ts\n`;
    const n = writeInputs(target, programs, header, out);
    process.stderr.write(`[bench-inputs] ${target}: ${res.execs} execs in ${((Date.now() - t0) / 1000).toFixed(1)}s, ${programs.length} corpus inputs -> ${n} programs in ${inputsFile(target, out)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
