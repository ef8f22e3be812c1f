// Shared body of the jazzer.js fuzz targets: bytes -> program -> execute -> throw on a finding.
import { decode } from "../src/program/codec.js";
import { EVENT_KINDS, type EventKind } from "../src/program/table.js";
import { print } from "../src/program/text.js";
import { execute } from "../src/exec/executor.js";
import { parseBugs } from "../src/bugs/switches.js";
import { signature, type Finding } from "../src/sanitizers/report.js";
import { feedbackMode, stateFeedback, type FeedbackMode, type PcIndir } from "./state.js";

/** Thrown for a sanitizer finding only; the message carries the title and the program text. */
export class FindingError extends Error {
  constructor(
    readonly finding: Finding,
    readonly programText: string,
  ) {
    super(`${finding.title} [${signature(finding)}]\n--- program ---\n${programText}`);
    this.name = "FindingError";
  }
}

export const AREAS: Record<string, readonly EventKind[]> = {
  all: EVENT_KINDS,
  "hash-resize": kinds(["mmap", "store", "spawn", "futex_wait", "futex_wake", "futex_requeue", "futex_cmp_requeue", "hash_set_slots", "hash_get_slots", "exit", "step", "run", "cpu", "gp", "fail_alloc"]),
  "fork-lifecycle": kinds(["mmap", "store", "spawn", "fork", "futex_wait", "futex_wake", "hash_set_slots", "exec", "exit", "signal", "step", "run", "cpu", "gp", "fail_alloc"]),
  "robust-unlock": kinds(["mmap", "munmap", "store", "load", "spawn", "fork", "futex_wait", "futex_wake", "robust_init", "robust_lock", "robust_unlock", "exit", "step", "run", "cpu", "irq", "signal", "gp"]),
};

/** The names of the fuzz targets, in AREAS order. */
export const TARGETS = Object.keys(AREAS);

/** The event table of fuzz target `name`; an unknown name throws, listing the known ones. */
export function areaTable(name: string): readonly EventKind[] {
  const table = AREAS[name];
  if (!table) throw new Error(`unknown target '${name}' (known: ${TARGETS.join(", ")})`);
  return table;
}

function kinds(names: string[]): EventKind[] {
  return EVENT_KINDS.filter((k) => names.includes(k.name));
}

/**
 * The campaign's liveness watchdog. `futex-fuzz fuzz` and `corpus merge` start jazzer in a
 * process group of its own with FUTEX_FUZZ_PARENT_PID set; every 64 inputs the target checks that
 * this parent still lives (a direct child: its parent pid changed; a libFuzzer merge child: the
 * pid is gone) and, if not, SIGKILLs its group, so no fuzzer outlives a killed futex-fuzz, even
 * one killed with SIGKILL. (A timer would not do: jazzer --sync never returns to the event loop.)
 * Without the variable (ClusterFuzzLite, tests, the benchmark in-process) it does nothing.
 */
export function parentWatchdog(env: NodeJS.ProcessEnv = process.env): () => void {
  const parent = Number(env.FUTEX_FUZZ_PARENT_PID);
  if (!Number.isInteger(parent) || parent <= 1) return () => {};
  const direct = process.ppid === parent;
  const gone = (): boolean => {
    if (direct) return process.ppid !== parent;
    try {
      process.kill(parent, 0);
      return false;
    } catch (e) {
      return e instanceof Error && "code" in e && e.code === "ESRCH";
    }
  };
  let calls = 0;
  return () => {
    if ((++calls & 63) !== 0 || !gone()) return;
    if (env.FUTEX_FUZZ_OWN_GROUP === "1") process.kill(0, "SIGKILL");
    process.exit(137);
  };
}

export interface TargetOptions {
  /** bug switches (default: FUTEX_FUZZ_BUGS) */
  bugs?: string;
  /** feedback mode (default: FUTEX_FUZZ_FEEDBACK, else state) */
  feedback?: FeedbackMode;
  /** where state features go (default: jazzer.js's tracer when there is one) */
  pcIndir?: PcIndir | null;
}

/**
 * Build the `fuzz(data)` function of an area target; switches come from FUTEX_FUZZ_BUGS, the
 * feedback mode (state features or edges only) from FUTEX_FUZZ_FEEDBACK (the benchmark passes
 * both as options). FUTEX_FUZZ_IGNORE (comma-separated signatures) lets `futex-fuzz fuzz
 * --keep-going` restart past the findings it already has.
 */
export function makeTarget(area: string, opts: TargetOptions = {}): (data: Buffer) => void {
  const table = areaTable(area);
  const bugs = parseBugs(opts.bugs ?? process.env.FUTEX_FUZZ_BUGS);
  const ignore = new Set((process.env.FUTEX_FUZZ_IGNORE ?? "").split(",").filter(Boolean));
  // abstract kernel state as extra libFuzzer features (fuzz/state.ts); FUTEX_FUZZ_FEEDBACK=edges: off
  const feedback = stateFeedback(opts.feedback ?? feedbackMode(), opts.pcIndir);
  const kernel = feedback ? { observer: feedback.observer } : undefined;
  const watchdog = parentWatchdog();
  return (data: Buffer) => {
    watchdog();
    const p = decode(data, table);
    const v = execute(p, { bugs, kernel });
    feedback?.flush();
    const f = v.findings[0];
    if (f && !(ignore.size > 0 && ignore.has(signature(f)))) throw new FindingError(f, print(p));
  };
}
