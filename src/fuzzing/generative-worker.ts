// The generative engine's process (one per portfolio worker): programs from GenerativeSource run
// in this process on the simulator. It speaks libFuzzer's log format on stderr, so a campaign
// reads it exactly as it reads jazzer (src/fuzzing/jazzer.ts: status lines, "Test unit written
// to", final stats), and like libFuzzer it stops at the first finding, writing the program as a
// crash-<sha1> artifact (the area's byte encoding) for the campaign's triage.
//
//   node dist/src/fuzzing/generative-worker.js --target T --seed N --corpus DIR --artifacts DIR
//        [--pool DIR] [--max-total-time S] [--runs N]   (bug switches: FUTEX_FUZZ_BUGS, as the targets)
//
// With --pool, the programs that reached new states are kept there (byte-encoded, named by
// sha1), and the next process of the campaign starts from them: a time slice ends, what the
// engine found does not (as libFuzzer keeps its corpus). At start each pool file runs once, to
// learn the states it reaches; one that reaches none the others do not is removed once the pool
// holds more than the engine keeps in memory.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseBugs } from "../bugs/switches.js";
import { execute } from "../exec/executor.js";
import { decode, encode } from "../program/codec.js";
import { signature } from "../sanitizers/report.js";
import { StateFeedback } from "./state.js";
import { targetEvents } from "../program/targets.js";
import { GenerativeSource, MAX_POOL } from "./generative.js";
import { sha1 } from "./seeds.js";
import { writeAtomic } from "../corpus/atomic.js";

const USAGE = `usage: node dist/src/fuzzing/generative-worker.js --target T --seed N --corpus DIR --artifacts DIR
                                                [--pool DIR] [--max-total-time S] [--runs N]

The generative engine of \`futex-fuzz fuzz --engines gen\`: long random programs through the
decoder and schedule perturbations of the corpus's programs, run in this process; stops at the
first finding (written to DIR/crash-<sha1>) or the time/runs limit. Bug switches come from
FUTEX_FUZZ_BUGS, signatures to ignore from FUTEX_FUZZ_IGNORE (as for the jazzer targets).
--pool DIR keeps the programs that reached new states for the next process, and starts from
the ones an earlier process kept there.
`;

/** how often the corpus dir is re-read for inputs another engine added (ms) */
const RELOAD_MS = 5000;
const STATUS_MS = 1000;
/** the engine yields to the event loop (signals) after this much work (ms) */
const SLICE_MS = 50;

function usage(msg: string): never {
  process.stderr.write(`generative-worker: ${msg}\n${USAGE}`);
  process.exit(2);
}

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const opt: Record<string, string> = {};
for (let i = 0; i < argv.length; i += 2) {
  const [k, v] = [argv[i]!, argv[i + 1]];
  if (!["--target", "--seed", "--corpus", "--artifacts", "--pool", "--max-total-time", "--runs"].includes(k)) usage(`unknown argument '${k}'`);
  if (v === undefined) usage(`${k} needs a value`);
  opt[k.slice(2)] = v;
}
for (const k of ["target", "seed", "corpus", "artifacts"]) if (opt[k] === undefined) usage(`--${k} is required`);
const count = (k: string): number | undefined => {
  const v = opt[k];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) usage(`--${k} ${v}: expected a non-negative integer`);
  return Number(v);
};
function tableOf(target: string): ReturnType<typeof targetEvents> {
  try {
    return targetEvents(target);
  } catch (e) {
    return usage((e as Error).message);
  }
}
const table = tableOf(opt.target!);
const seed = count("seed")!;
const maxTime = count("max-total-time");
const maxRuns = count("runs");
const bugs = parseBugs(process.env.FUTEX_FUZZ_BUGS);
const ignore = new Set((process.env.FUTEX_FUZZ_IGNORE ?? "").split(",").filter(Boolean));
const corpusDir = opt.corpus!;
const artifacts = opt.artifacts!.endsWith("/") ? opt.artifacts! : opt.artifacts! + "/";
const poolDir = opt.pool;

const src = new GenerativeSource(table, seed);
const sf = new StateFeedback(null);
/**
 * A listed file's bytes, or null when it went away between the listing and the read (jazzer in
 * the same corpus removes an input it reduced; another gen worker prunes the pool).
 */
function readListed(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (e) {
    if (e instanceof Error && "code" in e && e.code === "ENOENT") return null;
    throw e;
  }
}

const loaded = new Set<string>();
function reload(): void {
  // sorted: the same corpus gives the same pool order, so a seed replays
  for (const n of readdirSync(corpusDir).sort()) {
    if (n.startsWith(".") || n.includes(".tmp-") || loaded.has(n)) continue;
    const bytes = readListed(join(corpusDir, n));
    if (bytes === null) continue;
    loaded.add(n);
    src.add(decode(bytes, table));
  }
}

const t0 = performance.now();
let execs = 0;
let lastStatus = t0;
let lastReload = t0;
let stop = false;
const status = (event: string) => {
  const secs = (performance.now() - t0) / 1000;
  // no cov/ft/corp: they would mix with jazzer's in a campaign's progress line (the engine's own
  // state features and pool size are its final stats)
  process.stderr.write(`#${execs}\t${event} exec/s: ${Math.round(secs > 0 ? execs / secs : 0)} rss: ${Math.round(process.memoryUsage().rss / 2 ** 20)}Mb\n`);
};
const finish = (code: number) => {
  process.stderr.write(`stat::number_of_executed_units: ${execs}\nstat::average_exec_per_sec: ${Math.round(execs / Math.max(1e-3, (performance.now() - t0) / 1000))}\n`);
  process.stderr.write(`stat::generated_random: ${src.made.random}\nstat::generated_perturbed: ${src.made.perturbed}\nstat::generated_mutated: ${src.made.mutated}\nstat::state_features: ${src.features}\nstat::pool: ${src.poolSize}\n`);
  process.exit(code);
};
process.on("SIGINT", () => {
  stop = true;
});
process.on("SIGTERM", () => {
  stop = true;
});

/** run a program, learn its states; the finding it fires (not an ignored one), if any */
function run(p: ReturnType<GenerativeSource["next"]>): { fresh: boolean; finding: ReturnType<typeof execute>["findings"][number] | undefined } {
  const v = execute(p, { bugs, kernel: { observer: sf.observer } });
  sf.flush();
  const fresh = src.feedback(p, sf.features);
  const f = v.findings[0];
  return { fresh, finding: f && !ignore.has(signature(f)) ? f : undefined };
}

function crash(p: ReturnType<GenerativeSource["next"]>, f: NonNullable<ReturnType<typeof run>["finding"]>): never {
  const bytes = encode(p, table);
  const path = `${artifacts}crash-${sha1(bytes)}`;
  writeFileSync(path, bytes);
  process.stderr.write(`==${process.pid}== finding: ${f.title} [${signature(f)}]\nartifact_prefix='${artifacts}'; Test unit written to ${path}\n`);
  return finish(1);
}

/** the pool an earlier process kept: each program runs once (its states join the seen ones) */
function loadPool(dir: string): number {
  mkdirSync(dir, { recursive: true });
  const names = readdirSync(dir).filter((n) => /^[0-9a-f]{40}$/.test(n)).sort();
  let kept = 0;
  for (const n of names) {
    const bytes = readListed(join(dir, n));
    if (bytes === null) continue;
    const p = decode(bytes, table);
    execs++;
    const r = run(p);
    if (r.finding) crash(p, r.finding);
    if (r.fresh) kept++;
    else if (names.length > MAX_POOL) rmSync(join(dir, n), { force: true });
  }
  return kept;
}

reload();
const fromPool = poolDir ? loadPool(poolDir) : 0;
process.stderr.write(
  `INFO: generative engine, target ${opt.target}, seed ${seed}, ${src.poolSize - fromPool} corpus programs${poolDir ? `, ${fromPool} kept from earlier processes` : ""}\n`,
);
status("INITED");

function slice(): void {
  const end = performance.now() + SLICE_MS;
  for (;;) {
    for (let j = 0; j < 8; j++) {
      if (maxRuns !== undefined && execs >= maxRuns) return done();
      const p = src.next();
      execs++;
      const r = run(p);
      if (r.finding) return crash(p, r.finding);
      if (r.fresh && poolDir) {
        const bytes = encode(p, table);
        writeAtomic(join(poolDir, sha1(bytes)), bytes);
      }
    }
    const now = performance.now();
    if (stop || (maxTime !== undefined && now - t0 >= maxTime * 1000)) return done();
    if (now - lastStatus >= STATUS_MS) {
      lastStatus = now;
      status("pulse");
    }
    if (now - lastReload >= RELOAD_MS) {
      lastReload = now;
      reload();
    }
    if (now >= end) break;
  }
  setImmediate(slice);
}

function done(): void {
  status("DONE");
  process.stderr.write(`Done ${execs} runs in ${Math.round((performance.now() - t0) / 1000)} second(s)\n`);
  finish(0);
}

slice();
