// Running one jazzer.js (libFuzzer) process and reading its log. The process is the jazzer.js
// CLI run by this same node binary; its stderr is parsed line by line into progress and artifacts.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "./paths.js";

/** compiled src/fuzzing/watchdog.ts, preloaded into every jazzer process */
const WATCHDOG = join(PROJECT_ROOT, "dist", "src", "fuzzing", "watchdog.js");

/** The jazzer.js CLI script (the `jazzer` bin of @jazzer.js/core). */
export function jazzerCli(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("@jazzer.js/core/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.jazzer;
  if (!bin) throw new Error(`${pkgPath}: no 'jazzer' bin`);
  return join(dirname(pkgPath), bin);
}

export interface JazzerRun {
  /** compiled target module exporting fuzz(data) */
  target: string;
  /** corpus dirs; libFuzzer writes new inputs into the first */
  corpus: readonly string[];
  /** directory for crash-* files (absolute) */
  artifacts: string;
  seed: number;
  /** seconds (libFuzzer -max_total_time); undefined: no limit */
  maxTotalTime?: number;
  /** executions (libFuzzer -runs); undefined: no limit */
  runs?: number;
  /** a libFuzzer dictionary file (-dict) */
  dict?: string;
  /** further libFuzzer flags (e.g. -merge=1 for `corpus merge`) */
  libFuzzerFlags?: readonly string[];
  /** jazzer.js options in place of JAZZER_FLAGS (the bench's instrumentation-cost variants) */
  jazzerFlags?: readonly string[];
  /** argv after the node binary in place of jazzerArgv: another engine speaking libFuzzer's log (portfolio.ts) */
  argv?: readonly string[];
}

/** jazzer.js options that instrument only the simulated kernel and its sanitizers */
export const KERNEL_ONLY: readonly string[] = ["--includes", "/src/kernel/", "--includes", "/src/sanitizers/"];
/** ... and the executor (its scheduler), not the harness around them (codec, state features) */
export const SIMULATOR_ONLY: readonly string[] = [...KERNEL_ONLY, "--includes", "/src/exec/"];
/** the jazzer.js options of every campaign but what it instruments */
export const BASE_FLAGS: readonly string[] = ["--sync", "--disable_bug_detectors=.*"];
/**
 * The jazzer.js options of every campaign (why: jazzerArgv; costs and time to bug per variant:
 * docs/instrumentation-costs.md): edge counters and comparison hooks only in the simulator
 * (kernel, sanitizers, executor), not in the byte codec or the state features' code, whose
 * edges say nothing about the kernel; it keeps more of the in-process rate and found the
 * measured switches as fast or faster.
 */
export const JAZZER_FLAGS: readonly string[] = [...BASE_FLAGS, ...SIMULATOR_ONLY];

/**
 * argv after the node binary. `--sync` because the targets are synchronous (async mode costs a
 * promise per input); jazzer.js's own bug detectors (command injection, path traversal, prototype
 * pollution) cannot fire in a simulator and cost ~25% of the throughput, so they are disabled.
 * `-use_value_profile=1`: comparison operands count as features, and it is what makes kernel
 * state fed through the tracer's tracePcIndir count (DESIGN §6); it costs no measurable speed.
 */
export function jazzerArgv(r: JazzerRun): string[] {
  const lf = [`-seed=${r.seed}`, `-artifact_prefix=${r.artifacts.endsWith("/") ? r.artifacts : r.artifacts + "/"}`, "-print_final_stats=1", "-use_value_profile=1"];
  if (r.maxTotalTime !== undefined) lf.push(`-max_total_time=${r.maxTotalTime}`);
  if (r.runs !== undefined) lf.push(`-runs=${r.runs}`);
  if (r.dict !== undefined) lf.push(`-dict=${r.dict}`);
  if (r.libFuzzerFlags) lf.push(...r.libFuzzerFlags);
  return [jazzerCli(), r.target, ...(r.jazzerFlags ?? JAZZER_FLAGS), ...r.corpus, "--", ...lf];
}

/** What one libFuzzer status line says (`#N NEW cov: X ft: Y corp: Z/Sb ... exec/s: E`). */
export interface Status {
  execs: number;
  event: string;
  cov?: number;
  ft?: number;
  corp?: number;
  execPerSec?: number;
}

const STATUS = /^#(\d+)\s+([A-Za-z]+)\s+(.*)$/;
const num = (rest: string, key: string): number | undefined => {
  const m = new RegExp(`(?:^|\\s)${key}: (\\d+)`).exec(rest);
  return m ? Number(m[1]) : undefined;
};

export function parseStatus(line: string): Status | undefined {
  const m = STATUS.exec(line);
  if (!m) return undefined;
  const rest = m[3]!;
  return { execs: Number(m[1]), event: m[2]!, cov: num(rest, "cov"), ft: num(rest, "ft"), corp: num(rest, "corp"), execPerSec: num(rest, "exec/s") };
}

/** `... Test unit written to PATH` -> PATH */
export function parseArtifact(line: string): string | undefined {
  return /Test unit written to (\S+)/.exec(line)?.[1];
}

export function parseFinalExecs(line: string): number | undefined {
  const m = /^stat::number_of_executed_units:\s*(\d+)/.exec(line);
  return m ? Number(m[1]) : undefined;
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** executions of this process (final stats, else the last status line) */
  execs: number;
  /** artifact files libFuzzer said it wrote */
  artifacts: string[];
  /** the last lines of the log, for errors */
  tail: string[];
}

export interface RunningJazzer {
  child: ChildProcess;
  done: Promise<ProcessResult>;
  /** forward an interrupt (libFuzzer stops after the current input and prints its stats) */
  interrupt(): void;
}

const TAIL = 40;

/**
 * Reads an engine's libFuzzer-format log into `res` (its last lines, executions, the artifacts it
 * wrote): jazzer's process and the gen engine's, in a process or in this one (generative-here.ts).
 * `finalExecs` is the final stats' count, once the log printed it.
 */
export function logReader(res: ProcessResult, opts: { onStatus(s: Status): void; onLine?(line: string): void }): { onLine(line: string): void; finalExecs(): number | undefined } {
  let finalExecs: number | undefined;
  const onLine = (line: string) => {
    opts.onLine?.(line);
    res.tail.push(line);
    if (res.tail.length > TAIL) res.tail.shift();
    const s = parseStatus(line);
    if (s) {
      res.execs = Math.max(res.execs, s.execs);
      opts.onStatus(s);
      return;
    }
    const a = parseArtifact(line);
    if (a && !res.artifacts.includes(a)) res.artifacts.push(a);
    const f = parseFinalExecs(line);
    if (f !== undefined) finalExecs = f;
  };
  return { onLine, finalExecs: () => finalExecs };
}

export function startJazzer(
  r: JazzerRun,
  opts: { cwd: string; env: NodeJS.ProcessEnv; onStatus(s: Status): void; onLine?(line: string): void },
): RunningJazzer {
  // its own process group, and our pid: the preloaded watchdog (watchdog.ts) kills the group
  // when this process dies, even by SIGKILL; Ctrl-C reaches it through interrupt() only
  const env: NodeJS.ProcessEnv = { ...opts.env, FUTEX_FUZZ_PARENT_PID: String(process.pid), FUTEX_FUZZ_OWN_GROUP: "1" };
  if (existsSync(WATCHDOG)) env.NODE_OPTIONS = `${opts.env.NODE_OPTIONS ?? ""} --import=${pathToFileURL(WATCHDOG).href}`.trim();
  const child = spawn(process.execPath, r.argv ? [...r.argv] : jazzerArgv(r), { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const res: ProcessResult = { code: null, signal: null, execs: 0, artifacts: [], tail: [] };
  const { onLine, finalExecs } = logReader(res, opts);
  const closed = [child.stdout!, child.stderr!].map(
    (stream) =>
      new Promise<void>((resolve) => {
        const rl = createInterface({ input: stream, crlfDelay: Infinity });
        rl.on("line", onLine);
        rl.on("close", resolve);
      }),
  );
  const exited = new Promise<void>((resolve) => {
    child.on("error", (e) => {
      res.tail.push(`spawn failed: ${e.message}`);
      resolve();
    });
    child.on("exit", (code, signal) => {
      res.code = code;
      res.signal = signal;
      resolve();
    });
  });
  let interrupts = 0;
  return {
    child,
    done: Promise.all([exited, ...closed]).then(() => {
      res.execs = finalExecs() ?? res.execs;
      return res;
    }),
    interrupt() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // a repeated interrupt is harmless to libFuzzer; the third one kills its whole group
      // (libFuzzer's merge runs its inputs in a child process)
      if (++interrupts < 3 || child.pid === undefined) child.kill(interrupts >= 3 ? "SIGKILL" : "SIGINT");
      else
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
    },
  };
}
