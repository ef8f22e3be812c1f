// Smoke tests of the benchmark parts and of the state feedback (src/fuzzing/state.ts): tiny budgets,
// JSON shapes and sane numbers, never timings.
import { ensureBuilt as buildIfStale } from "./build.js";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTarget } from "../fuzz/target.js";
import { feedbackMode, labelHash, mmBits, SITE, StateFeedback, VALUE_PROFILE_PRIME } from "../src/fuzzing/state.js";
import { execute } from "../src/exec/executor.js";
import { jazzerCli } from "../src/fuzzing/jazzer.js";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";
import { encode } from "../src/program/codec.js";
import { parse } from "../src/program/text.js";
import { TARGET_EVENTS } from "../src/program/targets.js";
import { cachelineBench, cacheProgram, countLines, LineModel } from "../scripts/bench/cachelines.js";
import { blindCampaign, fastcheckCampaign, type CampaignRun, type CampaignSpec } from "../scripts/bench/engines.js";
import { corpusBench, executorBench, lengthBench, targetBench } from "../scripts/bench/throughput.js";
import { formatInputs, loadInputs, parseInputs } from "../scripts/bench/inputs.js";
import { cpuSeconds, formatInstrumentation, instrumentationBench, VARIANTS } from "../scripts/bench/instrumentation.js";
import { targetForBug, formatTimeToBug, ratio, summarize, timeToBug } from "../scripts/bench/timetobug.js";

const ROBUST_BUG = "robust-unlock-no-ip-fixup";
const REPRO = join(PROJECT_ROOT, "corpus", "regressions", ROBUST_BUG, "interrupt-kill-remap.fz");

const ensureBuilt = () => buildIfStale("scripts/bench/campaign-worker.js");

describe("state feedback (src/fuzzing/state.ts)", () => {
  it("FUTEX_FUZZ_FEEDBACK: state by default, edges, anything else is an error", () => {
    expect(feedbackMode(undefined)).toBe("state");
    expect(feedbackMode("")).toBe("state");
    expect(feedbackMode("edges")).toBe("edges");
    expect(feedbackMode("state")).toBe("state");
    expect(() => feedbackMode("nope")).toThrow(/edges.*state/);
  });

  it("sends each feature once per run as (f & 0xfff, f >>> 12), deterministically; edges mode sends none", () => {
    const p = parse(readFileSync(join(PROJECT_ROOT, "corpus", "seeds", "set-slots-back-to-back.fz"), "utf8"));
    const bytes = Buffer.from(encode(p, TARGET_EVENTS.all!));
    const runs: Array<Array<[number, number]>> = [];
    for (let i = 0; i < 2; i++) {
      const sent: Array<[number, number]> = [];
      makeTarget("all", { bugs: "", feedback: "state", pcIndir: (id, state) => sent.push([id, state]) })(bytes);
      runs.push(sent);
    }
    expect(runs[0]!.length).toBeGreaterThan(5);
    expect(runs[1]).toEqual(runs[0]);
    const fs = runs[0]!.map(([id, st]) => id | (st << 12));
    expect(new Set(fs).size).toBe(fs.length);
    for (const [id, st] of runs[0]!) {
      expect(id).toBeLessThan(0x1000);
      expect(st).toBeLessThan(0x1000);
      expect(id | (st << 12)).toBeLessThan(VALUE_PROFILE_PRIME);
    }
    // every site's whole 12-bit state range lies below the prime: no feature wraps onto another
    for (const site of Object.values(SITE)) expect((site << 12) | 0xfff, `site ${site}`).toBeLessThan(VALUE_PROFILE_PRIME);
    let edgesSent = 0;
    makeTarget("all", { bugs: "", feedback: "edges", pcIndir: () => edgesSent++ })(bytes);
    expect(edgesSent).toBe(0);
  });

  it("sees the states edges cannot: a get on the hash while it is FR_ATOMIC with a replacement pending", () => {
    const p = parse(readFileSync(join(PROJECT_ROOT, "corpus", "seeds", "set-slots-back-to-back.fz"), "utf8"));
    const sf = new StateFeedback(null);
    execute(p, { kernel: { observer: sf.observer } });
    sf.flush();
    const sites = new Set(sf.features.map((f) => f >>> 12));
    for (const s of [SITE.SUMMARY, SITE.REF_GET, SITE.REF_PUT, SITE.HASH_ALLOC, SITE.PIVOT, SITE.QUIESCENT, SITE.TASKS]) expect(sites).toContain(s);
    const atomicPending = sf.features.filter((f) => f >>> 12 === SITE.REF_GET && (f & 4) !== 0 && (f & 8) !== 0);
    expect(atomicPending.length).toBeGreaterThan(0);
  });

  it("the robust reproducer reaches the pending-op feature with the word owned by the dying task", () => {
    const p = parse(readFileSync(REPRO, "utf8"));
    const sf = new StateFeedback(null);
    const v = execute(p, { bugs: new Set([ROBUST_BUG]), kernel: { observer: sf.observer } });
    expect(v.findings[0]?.kind).toBe("robust-corruption");
    const pending = sf.features.filter((f) => f >>> 12 === SITE.ROBUST_PENDING);
    expect(pending.some((f) => (f & 3) === 3)).toBe(true); // mapped, owner == TID
    expect(sf.features.some((f) => f >>> 12 === SITE.IRQ)).toBe(true);
  });

  it("interleaving: a task parked after its final put while a grace period frees the hash is a feature a straight run lacks", () => {
    const repro = readFileSync(join(PROJECT_ROOT, "corpus", "regressions", "final-put-uaf", "put-vs-pivot.fz"), "utf8");
    const features = (text: string) => {
      const sf = new StateFeedback(null);
      execute(parse(text), { kernel: { observer: sf.observer } });
      sf.flush();
      return new Set(sf.features);
    };
    const parkedRun = features(repro);
    // the same events without `step t1 1`: t1 finishes its put before anything else runs
    const straight = features(repro.replace("step t1 1\n", ""));
    const only = (s: Set<number>, o: Set<number>, site: number) => [...s].filter((f) => f >>> 12 === site && !o.has(f));
    for (const site of [SITE.EVENT, SITE.PARKED_STATE, SITE.DEFERRED]) expect(only(parkedRun, straight, site).length, `site ${site}`).toBeGreaterThan(0);
    // and parking changes nothing for a program that never stops a task mid-syscall
    const plain = features("t0 mmap m0 anon\nt0 futex_wake m0+0 1\n");
    expect([...plain].filter((f) => ([SITE.EVENT, SITE.PARKED_STATE, SITE.DEFERRED] as number[]).includes(f >>> 12))).toEqual([]);
  });

  it("a parked task's label counts without its digits: which bucket or CPU is not another state", () => {
    expect(labelHash("spin_lock(hb@fph#2[13])")).toBe(labelHash("spin_lock(hb@fph#3[7])"));
    expect(labelHash("spin_lock(hb@fph#2[13])")).not.toBe(labelHash("mutex_lock(mm1->futex.phash.lock)"));
    expect(labelHash("futex_private_hash_put: wake_up_var(fph->mm)")).not.toBe(labelHash("futex_private_hash_put: wake_up_var(mm)"));
  });

  it("the observer never changes a verdict", () => {
    for (const dir of ["seeds", "conformance"]) {
      const d = join(PROJECT_ROOT, "corpus", dir);
      for (const name of readdirSync(d).filter((n) => n.endsWith(".fz"))) {
        const p = parse(readFileSync(join(d, name), "utf8"));
        const plain = execute(p);
        const sf = new StateFeedback(null);
        const seen = execute(p, { kernel: { observer: sf.observer } });
        expect({ f: seen.findings, s: seen.syscalls, n: seen.stats }).toEqual({ f: plain.findings, s: plain.syscalls, n: plain.stats });
      }
    }
  });

  it("mmBits: an mm without a private hash is 0", () => {
    const seen: number[] = [];
    execute(parse("t0 mmap m0 anon\n"), { kernel: { observer: (k) => (site) => site === SITE.QUIESCENT && seen.push(mmBits(k.mms[0]!)) } });
    expect(seen).toEqual([0]);
  });
});

describe("state features reach libFuzzer through jazzer.js's tracer", () => {
  let dir = "";
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "futex-state-jazzer-"));
    const state = pathToFileURL(join(PROJECT_ROOT, "dist", "src", "fuzzing", "state.js")).href;
    // a stand-in target: the first two bytes are one feature; no branches, so coverage cannot grow
    writeFileSync(
      join(dir, "feat.mjs"),
      `import { jazzerPcIndir, sendFeature } from ${JSON.stringify(state)};\n` +
        `const pc = jazzerPcIndir();\n` +
        `if (!pc) throw new Error("no jazzer.js tracer on globalThis.Fuzzer");\n` +
        `export function fuzz(data) { sendFeature(pc, (data[0] ?? 0) | ((data[1] ?? 0) << 8)); }\n`,
    );
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const corpusAfter = (valueProfile: 0 | 1): number => {
    const corpus = join(dir, `corpus-${valueProfile}`);
    mkdirSync(corpus, { recursive: true });
    const r = spawnSync(process.execPath, [jazzerCli(), join(dir, "feat.mjs"), "--sync", "--disable_bug_detectors=.*", corpus, "--", "-seed=1", "-runs=4000", `-use_value_profile=${valueProfile}`], {
      cwd: dir,
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    return readdirSync(corpus).length;
  };

  it("with -use_value_profile=1 every new (site, state) is a new input; without it none is", () => {
    const on = corpusAfter(1);
    const off = corpusAfter(0);
    expect(on).toBeGreaterThan(200);
    expect(off).toBeLessThan(5);
  }, 180_000);
});

describe("cache-line model (scripts/bench/cachelines.ts)", () => {
  it("LineModel: a write moves a line held by another CPU, a read moves a line another CPU modified", () => {
    const m = new LineModel();
    m.write("x", 0); // cold
    m.write("x", 0); // local
    expect(m.transfers).toBe(0);
    m.read("x", 1); // modified on CPU 0
    expect(m.transfers).toBe(1);
    m.read("x", 0); // shared, clean
    expect(m.transfers).toBe(1);
    m.write("x", 0); // CPU 1 holds a copy
    expect(m.transfers).toBe(2);
    expect(m.accesses).toBe(5);
    expect(m.hottest).toBe(2);
  });

  it("per-CPU futex-ref moves no line; rcuref_t and the FR_ATOMIC fallback bounce one, more with more CPUs", () => {
    const rows = cachelineBench({ cpus: [1, 2, 4], rounds: 8, ops: ["futex_wake"] });
    expect(rows.map((r) => r.cpus)).toEqual([1, 2, 4]);
    for (const r of rows) {
      expect(r.ops).toBe(8 * r.cpus);
      expect(r.atomicGets).toBe(r.ops); // the resize stayed pending: every get was FR_ATOMIC
      expect(r.percpu.transfersPerOp).toBe(0);
      expect(r.percpu.accessesPerOp).toBeGreaterThan(0);
      for (const k of ["rcuref", "percpu", "atomic"] as const) expect(Object.keys(r[k]).sort()).toEqual(["accessesPerOp", "hottestPerRound", "transfersPerOp"]);
    }
    expect(rows[0]!.rcuref.transfersPerOp).toBe(0); // one CPU: nothing to bounce with
    const four = rows[2]!;
    expect(four.percpu.transfersPerOp).toBeLessThan(four.rcuref.transfersPerOp);
    expect(four.rcuref.transfersPerOp).toBeGreaterThan(1);
    expect(four.atomic.transfersPerOp).toBeGreaterThan(1);
    expect(four.rcuref.hottestPerRound).toBeGreaterThan(rows[1]!.rcuref.hottestPerRound);
  });

  it("counts only the measured events", () => {
    const p = cacheProgram(2, "futex_wait", 3, 1, false);
    const c = countLines(p.text, p.start, p.end);
    expect(c.ops).toBe(6);
    const none = countLines(p.text, p.end, p.end);
    expect(none.ops).toBe(0);
  });
});

describe("throughput (scripts/bench/throughput.ts)", () => {
  it("executor, targets (state and edges) and length figures are positive", () => {
    const e = executorBench(0.05);
    expect(e.pointsPerSecond).toBeGreaterThan(0);
    expect(e.bareRatio).toBeGreaterThan(1);
    const t = targetBench(0.05, () => {});
    expect(Object.keys(t).sort()).toEqual(Object.keys(TARGET_EVENTS).sort());
    for (const x of Object.values(t)) {
      expect(x.execsPerSecond).toBeGreaterThan(0);
      expect(x.edgesExecsPerSecond).toBeGreaterThan(0);
      expect(x.featuresPerExec).toBeGreaterThan(0);
    }
    const l = lengthBench(0.05);
    expect(Object.keys(l)).toEqual(["16", "64", "256"]);
  });

  it("corpus figures: points/s = execs/s x points/exec, and the fraction of the bare 3-deep loop", () => {
    const progs = loadInputs().slice(0, 40).map((i) => i.program);
    const c = corpusBench(0.05, progs);
    expect(c.corpusPrograms).toBe(40);
    expect(c.corpusPointsPerExec).toBeGreaterThan(1);
    expect(c.corpusPointsPerSecond / c.corpusExecsPerSecond).toBeCloseTo(c.corpusPointsPerExec, 0);
    expect(c.corpusBareFraction).toBeCloseTo(c.corpusPointsPerSecond / c.bare3PointsPerSecond, 9);
    expect(c.corpusBareFraction).toBeGreaterThan(0);
    expect(c.corpusBareFraction).toBeLessThan(1);
  });
});

describe("instrumentation costs (scripts/bench/instrumentation.ts)", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it("cpuSeconds reads a live process's CPU time; a missing one is NaN", () => {
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += i & 1;
    expect(x).toBeGreaterThan(0);
    expect(cpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(cpuSeconds(undefined)).toBeNaN();
  });

  it("the default variant is exactly the campaigns' jazzer flags; variant names are unique", () => {
    expect(VARIANTS[0]!.name).toBe("default");
    expect(VARIANTS[0]!.jazzerFlags).toBeUndefined();
    expect(VARIANTS[0]!.libFuzzerFlags).toBeUndefined();
    expect(new Set(VARIANTS.map((v) => v.name)).size).toBe(VARIANTS.length);
  });

  it("measures in-process, replay and fuzz rates of a variant on a few inputs", async () => {
    const programs = loadInputs().slice(0, 20).map((i) => i.program);
    const f = await instrumentationBench({ programs, repeat: 1, fuzzRuns: 200, rounds: 1, variants: ["default"] });
    expect(f.inputs).toBe(20);
    expect(f.inProcessExecsPerSecond).toBeGreaterThan(0);
    expect(f.variants.map((v) => v.name)).toEqual(["default"]);
    const v = f.variants[0]!;
    expect(v.replayExecsPerSecond).toBeGreaterThan(0);
    expect(v.fuzzExecsPerSecond).toBeGreaterThan(0);
    expect(v.replayFraction).toBeCloseTo(v.replayExecsPerSecond / f.inProcessExecsPerSecond, 9);
    expect(v.fuzzVsDefault).toBe(1);
    expect(v.cov).toBeGreaterThan(0);
    expect(v.ft).toBeGreaterThan(v.cov);
    expect(formatInstrumentation(f)).toMatch(/\| default \| \d+ \| \d+% \|/);
  }, 180_000);
});

describe("bench input set (bench/inputs, scripts/bench/inputs.ts)", () => {
  it("the committed set is a few hundred programs or more, each run clean on the fixed kernel", () => {
    const inputs = loadInputs();
    expect(inputs.length).toBeGreaterThanOrEqual(200);
    expect(new Set(inputs.map((i) => i.id)).size).toBe(inputs.length);
    // realistic: not only the seeds; a good part runs well past a handful of preemption points
    const points = inputs.map((i) => execute(i.program).stats.points);
    expect(points.filter((p) => p > 100).length).toBeGreaterThan(inputs.length / 10);
    for (const i of inputs.slice(0, 100)) expect(execute(i.program).findings, i.id).toEqual([]);
  });

  it("format and parse round-trip; duplicates collapse; ids are the sha1 of the text", () => {
    const a = parse("config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\n");
    const b = parse("config cpus=1\nt0 hash_set_slots 4\n");
    const text = formatInputs([b, a, b], "# header\n");
    const back = parseInputs(text, "all", "test");
    expect(back.length).toBe(2);
    expect(back.map((x) => x.program).sort((x, y) => x.cpus - y.cpus)).toEqual([b, a]);
    expect(text.startsWith("# header\n# == input ")).toBe(true);
    expect(formatInputs([a, b], "# header\n")).toBe(text);
  });
});

describe("time to bug (scripts/bench/engines.ts, timetobug.ts)", () => {
  const spec = (engine: CampaignSpec["engine"], seconds = 0.3): CampaignSpec => ({ engine, bug: ROBUST_BUG, target: "robust-unlock", seed: 1, maxSeconds: seconds });

  it("auto target: the smallest target covering the switch's reproducers", () => {
    expect(targetForBug(ROBUST_BUG)).toBe("robust-unlock");
    expect(targetForBug("no-such-switch")).toBe("all");
  });

  it("blind and fast-check campaigns run to the cap and report executions", () => {
    for (const r of [blindCampaign(spec("blind")), fastcheckCampaign(spec("fastcheck"))]) {
      expect(r.execs).toBeGreaterThan(0);
      expect(r.seconds).toBeGreaterThan(0);
      if (!r.found) expect(r.seconds).toBeGreaterThanOrEqual(0.3);
      expect(Array.isArray(r.others)).toBe(true);
    }
  });

  it("summaries: a campaign that found nothing counts as beyond the cap; ratios of medians", () => {
    const mk = (engine: CampaignSpec["engine"], seed: number, found: boolean, seconds: number, execs: number): CampaignRun => ({
      ...spec(engine, 10),
      seed,
      found,
      seconds,
      execs,
      others: [],
    });
    const fast = summarize([mk("jazzer", 1, true, 2, 100), mk("jazzer", 2, true, 4, 300), mk("jazzer", 3, false, 10, 900)], 10);
    expect(fast).toMatchObject({ runs: 3, found: 2, medianSeconds: 4, minSeconds: 2, maxSeconds: 4, medianExecs: 300, seconds: [2, 4, null] });
    const slow = summarize([mk("blind", 1, false, 10, 5000), mk("blind", 2, true, 8, 4000), mk("blind", 3, false, 10, 5000)], 10);
    expect(slow.medianSeconds).toBeNull();
    expect(ratio(slow, fast, "Seconds")).toEqual({ value: 2.5, atLeast: true });
    expect(ratio(fast, fast, "Execs")).toEqual({ value: 1, atLeast: false });
  });

  it("timeToBug aggregates per switch and engine", async () => {
    const r = await timeToBug({ bugs: [ROBUST_BUG], engines: ["blind", "fastcheck"], runsPer: 2, maxSeconds: 0.2, target: "auto", jobs: 2, runner: async (s) => (s.engine === "blind" ? blindCampaign(s) : fastcheckCampaign(s)) });
    expect(r.targets[ROBUST_BUG]).toBe("robust-unlock");
    expect(r.runs).toHaveLength(4);
    for (const e of ["blind", "fastcheck"] as const) {
      const s = r.timeToBug[ROBUST_BUG]![e]!;
      expect(s.runs).toBe(2);
      expect("medianSeconds" in s).toBe(true);
    }
    expect(r.ratios[ROBUST_BUG]).toEqual({}); // no jazzer campaigns: nothing to compare with
  });

  it("--edges-bugs limits the jazzer-edges engine; ratios compare medians per switch", async () => {
    const specs: CampaignSpec[] = [];
    const fake = async (s: CampaignSpec): Promise<CampaignRun> => {
      specs.push(s);
      const secs = s.engine === "jazzer" ? 2 : s.engine === "jazzer-edges" ? 6 : 20;
      return { ...s, found: s.engine !== "blind", seconds: s.engine === "blind" ? s.maxSeconds : secs, execs: secs * 1000, others: [] };
    };
    const r = await timeToBug({ bugs: [ROBUST_BUG, "final-put-uaf"], engines: ["jazzer", "jazzer-edges", "blind"], runsPer: 3, maxSeconds: 10, target: "auto", jobs: 1, edgesBugs: [ROBUST_BUG], runner: fake });
    expect(specs.filter((s) => s.engine === "jazzer-edges").map((s) => s.bug)).toEqual([ROBUST_BUG, ROBUST_BUG, ROBUST_BUG]);
    expect(Object.keys(r.timeToBug["final-put-uaf"]!)).toEqual(["jazzer", "blind"]);
    expect(r.timeToBug[ROBUST_BUG]!.jazzer).toMatchObject({ medianSeconds: 2, found: 3, runs: 3 });
    expect(r.ratios[ROBUST_BUG]!["jazzer-edges/jazzer"]!.seconds).toEqual({ value: 3, atLeast: false });
    expect(r.ratios[ROBUST_BUG]!["blind/jazzer"]!.seconds).toEqual({ value: 5, atLeast: true });
    expect(r.targets["final-put-uaf"]).toBe(targetForBug("final-put-uaf"));
  });

  it("--engine-caps gives an engine its own cap; its misses and ratio use that cap", async () => {
    const specs: CampaignSpec[] = [];
    const fake = async (s: CampaignSpec): Promise<CampaignRun> => {
      specs.push(s);
      return { ...s, found: s.engine === "jazzer", seconds: s.engine === "jazzer" ? 4 : s.maxSeconds, execs: 1000, others: [] };
    };
    const r = await timeToBug({ bugs: [ROBUST_BUG], engines: ["jazzer", "blind"], runsPer: 1, maxSeconds: 600, engineCaps: { blind: 120 }, target: "auto", jobs: 1, runner: fake });
    expect(specs.map((s) => [s.engine, s.maxSeconds])).toEqual([["jazzer", 600], ["blind", 120]]);
    expect(r.timeToBug[ROBUST_BUG]!.blind!.capSeconds).toBe(120);
    expect(r.ratios[ROBUST_BUG]!["blind/jazzer"]!.seconds).toEqual({ value: 30, atLeast: true });
    expect(formatTimeToBug(r)).toMatch(/cap 600s, blind 120s/);
    expect(formatTimeToBug(r)).toMatch(/blind\s+>120/);
  });
});

describe("npm run bench (dist/scripts/bench.js)", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it("--json prints the throughput, cache-line and time-to-bug figures in one object", () => {
    const r = spawnSync(
      process.execPath,
      [join(PROJECT_ROOT, "dist", "scripts", "bench.js"), "--json", "--seconds", "0.1", "--bugs", ROBUST_BUG, "--runs-per", "1", "--max-seconds", "1", "--engines", "blind,fastcheck"],
      { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 170_000 },
    );
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const j = JSON.parse(r.stdout) as {
      executor: { pointsPerSecond: number; bareRatio: number; corpusBareFraction: number; corpusExecsPerSecond: number };
      targets: Record<string, { execsPerSecond: number }>;
      cachelines: unknown[];
      timeToBug: Record<string, Record<string, { medianSeconds: number | null; runs: number }>>;
    };
    expect(j.executor.pointsPerSecond).toBeGreaterThan(0);
    expect(j.executor.bareRatio).toBeGreaterThan(1);
    expect(j.executor.corpusBareFraction).toBeGreaterThan(0);
    expect(j.executor.corpusExecsPerSecond).toBeGreaterThan(0);
    for (const n of Object.keys(TARGET_EVENTS)) expect(j.targets[n]!.execsPerSecond).toBeGreaterThan(0);
    expect(j.cachelines.length).toBe(8);
    for (const e of ["blind", "fastcheck"]) {
      const s = j.timeToBug[ROBUST_BUG]![e]!;
      expect(s.runs).toBe(1);
      expect(s.medianSeconds === null || s.medianSeconds > 0).toBe(true);
    }
    expect(r.stderr).toMatch(/\[ttb 2\/2\]/);
  }, 180_000);

  it("--only executor --json prints just the corpus figures", () => {
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, "dist", "scripts", "bench.js"), "--only", "executor", "--json", "--seconds", "0.2"], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const j = JSON.parse(r.stdout) as { executor: { corpusPointsPerSecond: number; corpusExecsPerSecond: number; corpusBareFraction: number }; targets?: unknown };
    expect(j.executor.corpusPointsPerSecond).toBeGreaterThan(j.executor.corpusExecsPerSecond);
    expect(j.executor.corpusBareFraction).toBeGreaterThan(0);
    expect(j.targets).toBeUndefined();
  }, 60_000);

  it("rejects unknown switches and options", () => {
    for (const args of [["--bugs", "nope"], ["--frobnicate"], ["--jobs", "3"], ["--only", "nope"], ["--inputs", "/nonexistent"]]) {
      const r = spawnSync(process.execPath, [join(PROJECT_ROOT, "dist", "scripts", "bench.js"), ...args], { cwd: PROJECT_ROOT, encoding: "utf8" });
      expect(r.status).toBe(2);
    }
  });
});
