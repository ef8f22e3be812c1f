// The generative engine's run: programs from GenerativeSource run on the simulator, their state
// features feed the pool, the first finding ends the run as a crash-<sha1> artifact (the area's
// byte encoding). It speaks libFuzzer's log (status lines, "Test unit written to", final stats),
// so a campaign reads it exactly as it reads jazzer (src/fuzzing/jazzer.ts).
//
// Two drivers run it: its own process (generative-worker.ts), and a campaign's first burst in
// the campaign's process (startGenerativeHere below), which starts executing at once where a
// process spends a few hundred milliseconds loading: the shallow bugs are found in that time.
// Both take the same arguments, and the bug switches and ignored signatures from the same
// environment variables as the jazzer targets (FUTEX_FUZZ_BUGS, FUTEX_FUZZ_IGNORE).
//
// With a pool dir, the programs that reached new states are kept there (byte-encoded, named by
// sha1), and the next run of the campaign starts from them: a time slice ends, what the engine
// found does not (as libFuzzer keeps its corpus). At start each pool file runs once, to learn the
// states it reaches; one that reaches none the others do not is removed once the pool holds more
// than the engine keeps in memory.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseBugs } from "../bugs/switches.js";
import { execute } from "../exec/executor.js";
import { decode, encode } from "../program/codec.js";
import type { Program } from "../program/types.js";
import { signature } from "../sanitizers/report.js";
import type { Finding } from "../sanitizers/report.js";
import { targetEvents } from "../program/targets.js";
import { writeAtomic } from "../corpus/atomic.js";
import { blindStream, GenerativeSource, MAX_POOL } from "./generative.js";
import { StateFeedback } from "./state.js";
import { sha1 } from "./seeds.js";

export const GEN_USAGE = `usage: node dist/src/fuzzing/generative-worker.js --target T --seed N --corpus DIR --artifacts DIR
                                                [--pool DIR] [--lead N] [--max-total-time S] [--runs N]

The generative engine of \`futex-fuzz fuzz --engines gen\`: long random programs through the
decoder and schedule perturbations of the corpus's programs, run in this process; stops at the
first finding (written to DIR/crash-<sha1>) or the time/runs limit. Bug switches come from
FUTEX_FUZZ_BUGS, signatures to ignore from FUTEX_FUZZ_IGNORE (as for the jazzer targets).
--pool DIR keeps the programs that reached new states for the next process, and starts from
the ones an earlier process kept there. --lead N first runs N programs of blind guessing (random
bytes from the seed's stream, the bench's blind engine) before the corpus is read; --runs counts
them.
`;

export interface GenerativeArgs {
  target: string;
  seed: number;
  corpus: string;
  artifacts: string;
  pool?: string;
  /** blind programs first, before the corpus is read (the campaign's burst: see LEAD_RUNS) */
  lead?: number;
  maxTotalTime?: number;
  runs?: number;
}

const FLAGS = ["--target", "--seed", "--corpus", "--artifacts", "--pool", "--lead", "--max-total-time", "--runs"] as const;

/** the worker's command line -> its arguments; throws an Error saying what is wrong */
export function parseGenerativeArgs(argv: readonly string[]): GenerativeArgs {
  const opt = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i]!, argv[i + 1]];
    if (!FLAGS.some((f) => f === k)) throw new Error(`unknown argument '${k}'`);
    if (v === undefined) throw new Error(`${k} needs a value`);
    opt.set(k.slice(2), v);
  }
  const need = (k: string): string => {
    const v = opt.get(k);
    if (v === undefined) throw new Error(`--${k} is required`);
    return v;
  };
  const count = (k: string): number | undefined => {
    const v = opt.get(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new Error(`--${k} ${v}: expected a non-negative integer`);
    return Number(v);
  };
  const target = need("target");
  const seed = count("seed");
  if (seed === undefined) throw new Error("--seed is required");
  const artifacts = need("artifacts");
  targetEvents(target); // an unknown target is a usage error, before any work
  return {
    target,
    seed,
    corpus: need("corpus"),
    artifacts: artifacts.endsWith("/") ? artifacts : artifacts + "/",
    pool: opt.get("pool"),
    lead: count("lead"),
    maxTotalTime: count("max-total-time"),
    runs: count("runs"),
  };
}

/** how often the corpus dir is re-read for inputs another engine added (ms) */
const RELOAD_MS = 5000;
const STATUS_MS = 1000;

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

/** how a run ended: 1 at a finding (its artifact named in the log), 0 at its limit or when stopped */
export interface GenerativeExit {
  code: 0 | 1;
}

export class GenerativeRun {
  private readonly table: ReturnType<typeof targetEvents>;
  private readonly bugs: ReturnType<typeof parseBugs>;
  private readonly ignore: Set<string>;
  private readonly src: GenerativeSource;
  private readonly sf = new StateFeedback(null);
  private readonly loaded = new Set<string>();
  private readonly t0 = performance.now();
  private lastStatus = this.t0;
  private lastReload = this.t0;
  private stopped = false;
  /** blind programs still to run before the corpus is read (the lead) */
  private leadLeft: number;
  private readonly blind: () => Program;
  execs = 0;

  constructor(
    private readonly a: GenerativeArgs,
    env: { FUTEX_FUZZ_BUGS?: string; FUTEX_FUZZ_IGNORE?: string },
    /** one line of the libFuzzer-format log */
    private readonly log: (line: string) => void,
    /** called once, when the lead ends and the corpus is about to be read (a campaign seeds it then) */
    private readonly beforeCorpus?: () => void,
  ) {
    this.table = targetEvents(a.target);
    this.bugs = parseBugs(env.FUTEX_FUZZ_BUGS);
    this.ignore = new Set((env.FUTEX_FUZZ_IGNORE ?? "").split(",").filter(Boolean));
    this.src = new GenerativeSource(this.table, a.seed);
    this.leadLeft = a.lead ?? 0;
    this.blind = blindStream(this.table, a.seed);
  }

  /** stop after the current batch (SIGINT/SIGTERM, a campaign's interrupt) */
  stop(): void {
    this.stopped = true;
  }

  /** load the corpus and the pool (after the lead, if there is one); a pool program can fire at once */
  start(): GenerativeExit | undefined {
    if (this.leadLeft > 0) {
      this.log(`INFO: generative engine, target ${this.a.target}, seed ${this.a.seed}: a lead of ${this.leadLeft} blind programs first`);
      this.status("INITED");
      return undefined;
    }
    const exit = this.openCorpus();
    if (!exit) this.status("INITED");
    return exit;
  }

  private openCorpus(): GenerativeExit | undefined {
    this.beforeCorpus?.();
    this.reload();
    let fromPool = 0;
    if (this.a.pool) {
      const r = this.loadPool(this.a.pool);
      if (typeof r !== "number") return r;
      fromPool = r;
    }
    this.log(
      `INFO: generative engine, target ${this.a.target}, seed ${this.a.seed}, ${this.src.poolSize - fromPool} corpus programs${this.a.pool ? `, ${fromPool} kept from earlier processes` : ""}`,
    );
    return undefined;
  }

  /** run programs for about `ms`; the exit when the run ended */
  slice(ms: number): GenerativeExit | undefined {
    const { runs, maxTotalTime, pool } = this.a;
    const end = performance.now() + ms;
    for (;;) {
      for (let j = 0; j < 8; j++) {
        if (runs !== undefined && this.execs >= runs) return this.done();
        if (this.leadLeft > 0) {
          // blind guessing: no state features (the lead costs what the blind engine does)
          const p = this.blind();
          this.execs++;
          const f = this.firing(execute(p, { bugs: this.bugs }).findings[0]);
          if (f) return this.crash(p, f);
          if (--this.leadLeft === 0) {
            const exit = this.openCorpus();
            if (exit) return exit;
          }
          continue;
        }
        const p = this.src.next();
        this.execs++;
        const r = this.run(p);
        if (r.finding) return this.crash(p, r.finding);
        if (r.fresh && pool) {
          const bytes = encode(p, this.table);
          writeAtomic(join(pool, sha1(bytes)), bytes);
        }
      }
      const now = performance.now();
      if (this.stopped || (maxTotalTime !== undefined && now - this.t0 >= maxTotalTime * 1000)) return this.done();
      if (now - this.lastStatus >= STATUS_MS) {
        this.lastStatus = now;
        this.status("pulse");
      }
      if (now - this.lastReload >= RELOAD_MS && this.leadLeft === 0) {
        this.lastReload = now;
        this.reload();
      }
      if (now >= end) return undefined;
    }
  }

  private reload(): void {
    // sorted: the same corpus gives the same pool order, so a seed replays
    for (const n of readdirSync(this.a.corpus).sort()) {
      if (n.startsWith(".") || n.includes(".tmp-") || this.loaded.has(n)) continue;
      const bytes = readListed(join(this.a.corpus, n));
      if (bytes === null) continue;
      this.loaded.add(n);
      this.src.add(decode(bytes, this.table));
    }
  }

  /** the pool an earlier run kept: each program runs once (its states join the seen ones) */
  private loadPool(dir: string): number | GenerativeExit {
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir).filter((n) => /^[0-9a-f]{40}$/.test(n)).sort();
    let kept = 0;
    for (const n of names) {
      const bytes = readListed(join(dir, n));
      if (bytes === null) continue;
      const p = decode(bytes, this.table);
      this.execs++;
      const r = this.run(p);
      if (r.finding) return this.crash(p, r.finding);
      if (r.fresh) kept++;
      else if (names.length > MAX_POOL) rmSync(join(dir, n), { force: true });
    }
    return kept;
  }

  /** run a program, learn its states; the finding it fires (not an ignored one), if any */
  private run(p: Program): { fresh: boolean; finding: Finding | undefined } {
    const v = execute(p, { bugs: this.bugs, kernel: { observer: this.sf.observer } });
    this.sf.flush();
    const fresh = this.src.feedback(p, this.sf.features);
    return { fresh, finding: this.firing(v.findings[0]) };
  }

  /** a run's first finding, unless its signature is one to ignore */
  private firing(f: Finding | undefined): Finding | undefined {
    return f && !this.ignore.has(signature(f)) ? f : undefined;
  }

  private status(event: string): void {
    const secs = (performance.now() - this.t0) / 1000;
    // no cov/ft/corp: they would mix with jazzer's in a campaign's progress line (the engine's own
    // state features and pool size are its final stats)
    this.log(`#${this.execs}\t${event} exec/s: ${Math.round(secs > 0 ? this.execs / secs : 0)} rss: ${Math.round(process.memoryUsage().rss / 2 ** 20)}Mb`);
  }

  private crash(p: Program, f: Finding): GenerativeExit {
    const bytes = encode(p, this.table);
    const path = `${this.a.artifacts}crash-${sha1(bytes)}`;
    writeFileSync(path, bytes);
    this.log(`==${process.pid}== finding: ${f.title} [${signature(f)}]`);
    this.log(`artifact_prefix='${this.a.artifacts}'; Test unit written to ${path}`);
    return this.finish(1);
  }

  private done(): GenerativeExit {
    this.status("DONE");
    this.log(`Done ${this.execs} runs in ${Math.round((performance.now() - this.t0) / 1000)} second(s)`);
    return this.finish(0);
  }

  private finish(code: 0 | 1): GenerativeExit {
    const secs = Math.max(1e-3, (performance.now() - this.t0) / 1000);
    const { made } = this.src;
    for (const line of [
      `stat::number_of_executed_units: ${this.execs}`,
      `stat::average_exec_per_sec: ${Math.round(this.execs / secs)}`,
      `stat::generated_random: ${made.random}`,
      `stat::generated_perturbed: ${made.perturbed}`,
      `stat::generated_mutated: ${made.mutated}`,
      `stat::state_features: ${this.src.features}`,
      `stat::pool: ${this.src.poolSize}`,
    ])
      this.log(line);
    return { code };
  }
}

/** the engine yields to the event loop (signals, a campaign's timers) after this much work (ms) */
export const SLICE_MS = 50;

/** run to its exit, in slices of SLICE_MS between which the event loop runs */
export function drive(run: GenerativeRun): Promise<GenerativeExit> {
  return new Promise((resolve, reject) => {
    const step = () => {
      try {
        const exit = run.slice(SLICE_MS);
        if (exit) resolve(exit);
        else setImmediate(step);
      } catch (e) {
        reject(e);
      }
    };
    try {
      const exit = run.start();
      if (exit) resolve(exit);
      else setImmediate(step);
    } catch (e) {
      reject(e);
    }
  });
}
