// The engines of the time-to-bug benchmark. One campaign = one engine, one bug switch, one seed,
// until the first finding of one of the switch's expected kinds or the time cap.
//   jazzer        jazzer.js exactly as `futex-fuzz fuzz` runs it (src/fuzzing/jazzer.ts argv,
//                 byte corpus seeded from corpus/seeds + corpus/conformance without the seeds that
//                 already fire), fresh temp work dir, state feedback (FUTEX_FUZZ_FEEDBACK=state)
//   jazzer-edges  the same with FUTEX_FUZZ_FEEDBACK=edges (edge + value-profile coverage only)
//   jazzer-nodict the same as jazzer without the event dictionary (src/fuzzing/dictionary.ts)
//   jazzer-kernel the same as jazzer with the edge counters and comparison hooks only in
//                 src/kernel and src/sanitizers, not src/exec (`--includes`: an ablation)
//   jazzer-all    the same with every project module instrumented (campaigns before 2026-12-02)
//   blind         random bytes (seeded xorshift; lengths log-uniform up to libFuzzer's default
//                 -max_len 4096) through the same decoder and executor, in process, no feedback
//   fastcheck     random programs from the fast-check arbitraries (scripts/bench/arb.ts) with the
//                 area's event kinds, in process, no feedback
//   portfolio     `futex-fuzz fuzz` as a user runs it (runCampaign, one worker, engines jazzer and
//                 gen in turn: src/fuzzing/portfolio.ts), fresh temp work dir; --without-seeds
//                 does not apply to it. A finding of another kind ends that campaign; the next
//                 one (same corpus, next seed) ignores nothing, so such a switch may read slower
// Time is wall-clock from the start of the campaign (jazzer: from spawning node, so it includes
// start-up and loading the seeds); execs are the target executions up to the finding (jazzer:
// libFuzzer's stat::number_of_executed_units, summed over restarts).
import { isFinding } from "../../src/corpus/outcome.js";
import fc from "fast-check";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { TARGET_EVENTS, targetEvents } from "../../src/program/targets.js";
import { bugInfo } from "../../src/bugs/registry.js";
import { parseBugs } from "../../src/bugs/switches.js";
import { execute } from "../../src/exec/executor.js";
import { runCampaign } from "../../src/fuzzing/campaign.js";
import { triageFile } from "../../src/corpus/intake.js";
import { BASE_FLAGS, KERNEL_ONLY, parseArtifact, startJazzer } from "../../src/fuzzing/jazzer.js";
import { SEED_DIRS, targetModule, workDirs } from "../../src/fuzzing/paths.js";
import { prepareWorkDir } from "../../src/fuzzing/seeds.js";
import type { Program } from "../../src/program/types.js";
import { signature, type Finding } from "../../src/sanitizers/report.js";
import { arbUsefulProgram } from "./arb.js";
import { blindStream } from "../../src/fuzzing/generative.js";

export const ENGINES = ["jazzer", "jazzer-edges", "jazzer-nodict", "jazzer-kernel", "jazzer-all", "blind", "fastcheck", "portfolio"] as const;
export type Engine = (typeof ENGINES)[number];
/** the engines a time-to-bug run uses unless told (jazzer-nodict, -kernel and -all are opt-in ablations) */
export const DEFAULT_ENGINES: readonly Engine[] = ["jazzer", "jazzer-edges", "blind", "fastcheck"];

export interface CampaignSpec {
  engine: Engine;
  bug: string;
  /** fuzz target (src/program/targets.ts TARGET_EVENTS) */
  target: string;
  seed: number;
  maxSeconds: number;
  /** seed files (base names) left out of the jazzer campaigns' corpus and dictionary (ablation) */
  withoutSeeds?: string[];
}

export interface CampaignRun extends CampaignSpec {
  found: boolean;
  /** to the first expected finding, else the time spent (about maxSeconds) */
  seconds: number;
  /** target executions to the first expected finding, else all of them */
  execs: number;
  /** the expected finding's signature */
  signature?: string;
  /** findings of other kinds seen on the way (ignored, the campaign went on) */
  others: string[];
  /** why a campaign ended early without an answer (jazzer failed to run, ...) */
  error?: string;
  /** portfolio: the engine whose input it was */
  foundBy?: string;
}

function expectedKinds(bug: string): readonly string[] {
  const b = bugInfo(bug);
  if (!b) throw new Error(`unknown bug switch '${bug}'`);
  return b.expect;
}

/**
 * An in-process engine: `next()` makes the next program; runs until a finding of an expected
 * kind or the deadline (the clock is read every 16 executions).
 */
function inProcess(spec: CampaignSpec, next: () => Program): CampaignRun {
  const bugs = parseBugs(spec.bug);
  const expect = expectedKinds(spec.bug);
  const others = new Set<string>();
  const t0 = performance.now();
  const deadline = t0 + spec.maxSeconds * 1000;
  let execs = 0;
  for (;;) {
    if ((execs & 15) === 0 && performance.now() >= deadline) break;
    const p = next();
    execs++;
    const f: Finding | undefined = execute(p, { bugs }).findings[0];
    if (!f) continue;
    if (expect.includes(f.kind)) return { ...spec, found: true, seconds: (performance.now() - t0) / 1000, execs, signature: signature(f), others: [...others] };
    others.add(signature(f));
  }
  return { ...spec, found: false, seconds: (performance.now() - t0) / 1000, execs, others: [...others] };
}

/** blind: random bytes, length log-uniform in [1, 4096] (libFuzzer's default -max_len), decoded with the target's kinds (the generative engine's random half). */
export function blindCampaign(spec: CampaignSpec): CampaignRun {
  return inProcess(spec, blindStream(TARGET_EVENTS[spec.target]!, spec.seed));
}

/** fastcheck: programs from arbUsefulProgram with the target's event kinds, seeded batches. */
export function fastcheckCampaign(spec: CampaignSpec): CampaignRun {
  const arb = arbUsefulProgram({ kinds: TARGET_EVENTS[spec.target]! });
  let batch: Program[] = [];
  let i = 0;
  let n = 0;
  return inProcess(spec, () => {
    if (i >= batch.length) {
      batch = fc.sample(arb, { seed: (spec.seed * 7919 + n++) | 0, numRuns: 256 });
      i = 0;
    }
    return batch[i++]!;
  });
}

/**
 * jazzer / jazzer-edges: libFuzzer stops at the first crash. A finding of another kind is
 * ignored from then on (FUTEX_FUZZ_IGNORE, as `fuzz --keep-going` does) and jazzer restarts on
 * the same corpus with the next seed; so does a timeout/oom artifact that runs clean.
 */
export async function jazzerCampaign(spec: CampaignSpec): Promise<CampaignRun> {
  const bugs = parseBugs(spec.bug);
  const expect = expectedKinds(spec.bug);
  const table = targetEvents(spec.target);
  const work = mkdtempSync(join(tmpdir(), "futex-ttb-"));
  const others: string[] = [];
  const ignore: string[] = [];
  let execs = 0;
  const t0 = performance.now();
  const deadline = t0 + spec.maxSeconds * 1000;
  const elapsed = () => (performance.now() - t0) / 1000;
  try {
    const dirs = workDirs(work, spec.target);
    const { dict } = prepareWorkDir(dirs, table, SEED_DIRS, { bugs, skip: new Set(spec.withoutSeeds ?? []), noDict: spec.engine === "jazzer-nodict" });
    for (let restart = 0; ; restart++) {
      const left = (deadline - performance.now()) / 1000;
      if (left < 1) return { ...spec, found: false, seconds: elapsed(), execs, others };
      let foundAt: number | undefined;
      const run = startJazzer(
        {
          target: targetModule(spec.target),
          corpus: [dirs.corpus],
          artifacts: dirs.artifacts,
          seed: spec.seed + 1000 * restart,
          maxTotalTime: Math.ceil(left),
          dict,
          ...(spec.engine === "jazzer-kernel" ? { jazzerFlags: [...BASE_FLAGS, ...KERNEL_ONLY] } : {}),
          ...(spec.engine === "jazzer-all" ? { jazzerFlags: BASE_FLAGS } : {}),
        },
        {
          cwd: dirs.root,
          env: {
            ...process.env,
            FUTEX_FUZZ_BUGS: spec.bug,
            FUTEX_FUZZ_FEEDBACK: spec.engine === "jazzer-edges" ? "edges" : "state",
            FUTEX_FUZZ_IGNORE: ignore.join(","),
          },
          onStatus: () => {},
          onLine: (l) => {
            if (foundAt === undefined && parseArtifact(l)) foundAt = performance.now();
          },
        },
      );
      // libFuzzer stops itself at -max_total_time; this only catches a process that hangs
      const guard = setInterval(() => {
        if (performance.now() > deadline + 30_000) run.interrupt();
      }, 1000);
      const res = await run.done.finally(() => clearInterval(guard));
      execs += res.execs;
      // the artifact libFuzzer named, else (a log we could not parse) any file it left
      const art = res.artifacts[0] ?? (res.code !== 0 ? readdirSync(dirs.artifacts).map((n) => join(dirs.artifacts, n))[0] : undefined);
      if (!art) {
        const failed = res.code !== 0 && elapsed() < spec.maxSeconds - 2;
        const why = res.tail.filter((l) => /ERROR|Error|error|==\d+==/.test(l)).slice(0, 3);
        return {
          ...spec,
          found: false,
          seconds: elapsed(),
          execs,
          others,
          ...(failed ? { error: `jazzer exited with ${res.signal ?? res.code} and no artifact: ${[...why, ...res.tail.slice(-3)].join(" | ")}` } : {}),
        };
      }
      const t = triageFile(art, { target: spec.target, bugs: [...bugs].join(","), by: "campaign" });
      if (t.kind === "finding" && expect.includes(t.finding.kind))
        return { ...spec, found: true, seconds: ((foundAt ?? performance.now()) - t0) / 1000, execs, signature: t.signature, others };
      if (t.kind === "finding") {
        others.push(t.signature);
        ignore.push(t.signature);
      } else others.push(t.kind === "clean" ? "(artifact runs clean: jazzer timeout/oom)" : "(harness error)");
      rmSync(art, { force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** portfolio: runCampaign with both engines until an expected finding or the cap. */
export async function portfolioCampaign(spec: CampaignSpec): Promise<CampaignRun> {
  const bugs = parseBugs(spec.bug);
  const expect = expectedKinds(spec.bug);
  const work = mkdtempSync(join(tmpdir(), "futex-ttb-"));
  const others: string[] = [];
  let execs = 0;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  try {
    for (let restart = 0; ; restart++) {
      const left = spec.maxSeconds - elapsed();
      if (left < 1) return { ...spec, found: false, seconds: elapsed(), execs, others };
      const startedAt = elapsed();
      let out = "";
      const r = await runCampaign(
        { target: spec.target, bugs, timeSec: Math.ceil(left), jobs: 1, regressions: join(work, "regressions"), keepGoing: false, seed: spec.seed + 1000 * restart, workDir: work, engines: ["jazzer", "gen"] },
        { out: (s) => void (out += s), err: () => {} },
      );
      execs += r.execs;
      const o = r.outcomes[0];
      if (!o) {
        const error = r.errors.length > 0 && elapsed() < spec.maxSeconds - 2 ? r.errors.join("; ") : undefined;
        return { ...spec, found: false, seconds: elapsed(), execs, others, ...(error ? { error } : {}) };
      }
      // the heading of the finding names its engine: "(gen, seed 3, after 4.2s)"; its time, when the
      // engine's run stopped on it, is the campaign's firstFindingMs (the heading's is rounded)
      const m = /\((jazzer|gen), seed \d+, after ([\d.]+)s\)/.exec(out);
      const kind = isFinding(o) ? o.signature.split(":")[0] : undefined;
      if (isFinding(o) && kind !== undefined && expect.includes(kind)) {
        const seconds = r.firstFindingMs !== undefined ? startedAt + r.firstFindingMs / 1000 : elapsed();
        return { ...spec, found: true, seconds, execs, signature: o.signature, others, ...(m ? { foundBy: m[1] } : {}) };
      }
      others.push(isFinding(o) ? o.signature : `(${o.kind})`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Run a campaign in this process (jazzer engines spawn their own process). */
export async function runCampaignHere(spec: CampaignSpec): Promise<CampaignRun> {
  switch (spec.engine) {
    case "jazzer":
    case "jazzer-edges":
    case "jazzer-nodict":
    case "jazzer-kernel":
    case "jazzer-all":
      return jazzerCampaign(spec);
    case "blind":
      return blindCampaign(spec);
    case "fastcheck":
      return fastcheckCampaign(spec);
    case "portfolio":
      return portfolioCampaign(spec);
  }
}
