// futex-fuzz fuzz: the jazzer.js campaign wrapper, its log parsing and its crash path.
// The campaign tests spawn the compiled target (dist/fuzz/*.js): it is rebuilt when stale.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt as buildIfStale } from "./build.js";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { parseBugs, type BugSet } from "../src/bugs/switches.js";
import { listCorpusFiles } from "../src/corpus/walk.js";
import { parseCorpusFile } from "../src/corpus/file.js";
import { execute } from "../src/exec/executor.js";
import { encode } from "../src/program/codec.js";
import { parse } from "../src/program/text.js";
import type { Program } from "../src/program/types.js";
import { signature } from "../src/sanitizers/report.js";
import { TARGET_EVENTS } from "../src/program/targets.js";
import { finish, intake } from "../src/corpus/intake.js";
import { resolveInput } from "../src/corpus/input.js";
import { formatOutcome, isFinding } from "../src/corpus/outcome.js";
import { keepsGoing, runCampaign, splitRuns } from "../src/fuzzing/campaign.js";
import { jazzerArgv, parseArtifact, parseFinalExecs, parseStatus } from "../src/fuzzing/jazzer.js";
import { PROJECT_ROOT, workDirs } from "../src/fuzzing/paths.js";
import { prepareWorkDir, seedCorpus } from "../src/fuzzing/seeds.js";
import { eventDictionary } from "../src/fuzzing/dictionary.js";

const tmp = (p: string) => mkdtempSync(join(tmpdir(), `ff-fuzz-${p}-`));

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const ensureBuilt = () => buildIfStale("fuzz/target.js");

/**
 * A program with a finding, for the crash path: the first stored regression whose `# bugs`
 * switches make it fire (every switch has one). It must exist: the crash tests never skip.
 */
function findingProgram(): { program: Program; bugs: BugSet; sig: string } {
  for (const path of listCorpusFiles([join(PROJECT_ROOT, "corpus", "regressions")])) {
    const f = parseCorpusFile(readFileSync(path, "utf8"), path);
    if (!f.program.events.every((e) => TARGET_EVENTS.all!.some((k) => k.name === e.op))) continue;
    const bugs = parseBugs(f.bugs);
    const finding = execute(f.program, { bugs }).findings[0];
    if (finding) return { program: f.program, bugs, sig: signature(finding) };
  }
  throw new Error("no regression in corpus/regressions fires under its # bugs switches");
}

const FOUND = findingProgram();

describe("libFuzzer log parsing", () => {
  it("reads status lines, artifacts and final stats", () => {
    expect(parseStatus("#65536\tpulse  cov: 495 ft: 2206 corp: 406/10444b lim: 92 exec/s: 21845 rss: 279Mb")).toEqual({
      execs: 65536,
      event: "pulse",
      cov: 495,
      ft: 2206,
      corp: 406,
      execPerSec: 21845,
    });
    expect(parseStatus("#8\tNEW    cov: 221 ft: 240 corp: 2/3b lim: 4 exec/s: 0 rss: 190Mb L: 2/2 MS: 1 CrossOver-")?.corp).toBe(2);
    expect(parseStatus("#121887\tDONE   cov: 495 ft: 2632 corp: 502/21Kb lim: 233 exec/s: 20314 rss: 279Mb")?.event).toBe("DONE");
    expect(parseStatus("INFO: Seed: 1")).toBeUndefined();
    expect(parseArtifact("artifact_prefix='/w/a/'; Test unit written to /w/a/crash-925a2b88")).toBe("/w/a/crash-925a2b88");
    expect(parseFinalExecs("stat::number_of_executed_units: 25703")).toBe(25703);
  });

  it("builds the jazzer argv with libFuzzer flags after --", () => {
    const argv = jazzerArgv({ target: "/p/dist/fuzz/all.js", corpus: ["/w/c"], artifacts: "/w/a", seed: 3, maxTotalTime: 30, runs: 100 });
    expect(argv[0]).toMatch(/@jazzer\.js\/core\/dist\/cli\.js$/);
    expect(argv.slice(1)).toEqual([
      "/p/dist/fuzz/all.js",
      "--sync",
      "--disable_bug_detectors=.*",
      // only the simulator is instrumented (docs/instrumentation-costs.md)
      "--includes",
      "/src/kernel/",
      "--includes",
      "/src/sanitizers/",
      "--includes",
      "/src/exec/",
      "/w/c",
      "--",
      "-seed=3",
      "-artifact_prefix=/w/a/",
      "-print_final_stats=1",
      "-use_value_profile=1",
      "-max_total_time=30",
      "-runs=100",
    ]);
  });

  it("splits the runs budget over the workers", () => {
    expect([0, 1, 2].map((i) => splitRuns(10, 3, i))).toEqual([4, 3, 3]);
  });
});

describe("seeding", () => {
  it("encodes text programs with the target's kinds and skips programs outside the target", () => {
    const seeds = tmp("seeds");
    writeFileSync(join(seeds, "ww.fz"), "config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n");
    writeFileSync(join(seeds, "robust.fz"), "t0 mmap m0 anon\nt0 robust_init m0+0\n");
    const corpus = join(tmp("corpus"), "c");
    const r = seedCorpus(corpus, TARGET_EVENTS["hash-resize"]!, [seeds]);
    expect(r).toMatchObject({ files: 2, seeded: 1, outOfTarget: 1, broken: [] });
    const [name] = readdirSync(corpus);
    expect(name).toMatch(/^[0-9a-f]{40}$/);
    // idempotent: the same input keeps the same name
    seedCorpus(corpus, TARGET_EVENTS["hash-resize"]!, [seeds]);
    expect(readdirSync(corpus)).toEqual([name]);
  });

  it("with bug switches on, leaves out (and removes) seeds that already fire under them", () => {
    const seeds = tmp("seeds-firing");
    const trigger = readFileSync(join(import.meta.dirname, "..", "corpus", "seeds", "robust-irq-kill.fz"), "utf8");
    writeFileSync(join(seeds, "irq.fz"), trigger);
    writeFileSync(join(seeds, "ww.fz"), "config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n");
    const corpus = join(tmp("corpus-firing"), "c");
    expect(seedCorpus(corpus, TARGET_EVENTS["robust-unlock"]!, [seeds])).toMatchObject({ seeded: 2, firing: 0 });
    const r = seedCorpus(corpus, TARGET_EVENTS["robust-unlock"]!, [seeds], parseBugs("robust-unlock-no-ip-fixup"));
    expect(r).toMatchObject({ files: 2, seeded: 1, firing: 1 });
    expect(readdirSync(corpus)).toHaveLength(1);
    // the event dictionary is built from r.programs: the firing seed is not in it either
    expect(r.programs.map((p) => p.events.length)).toEqual([4]);
    // left out by name (the benchmark's --without-seeds): neither seeded nor in the programs
    const c2 = join(tmp("corpus-skip"), "c");
    const s2 = seedCorpus(c2, TARGET_EVENTS["robust-unlock"]!, [seeds], undefined, new Set(["ww.fz"]));
    expect(s2).toMatchObject({ files: 2, seeded: 1, skipped: 1 });
    expect(s2.programs.map((p) => p.events.length)).toEqual([trigger.split("\n").filter((l) => /^(t\d|irq|step|gp|run|cpu|signal)/.test(l)).length]);
    // a campaign's start: seeded corpus, artifacts dir, and the dictionary of the same programs
    const dirs = workDirs(tmp("prepared"), "robust-unlock");
    const prep = prepareWorkDir(dirs, TARGET_EVENTS["robust-unlock"]!, [seeds], { bugs: parseBugs("robust-unlock-no-ip-fixup") });
    expect(prep.seeds).toMatchObject({ seeded: 1, firing: 1 });
    expect(existsSync(dirs.artifacts)).toBe(true);
    expect(prep.dict).toBe(dirs.dict);
    expect(prep.words).toBe(eventDictionary(prep.seeds.programs, TARGET_EVENTS["robust-unlock"]!).length);
    expect(readFileSync(dirs.dict, "utf8").trim().split("\n").length).toBe(1 + prep.words);
    const bare = prepareWorkDir(workDirs(tmp("prepared-nodict"), "robust-unlock"), TARGET_EVENTS["robust-unlock"]!, [seeds], { noDict: true });
    expect([bare.dict, bare.words]).toEqual([undefined, 0]);
  });
});

describe("futex-fuzz fuzz (command line)", () => {
  beforeAll(ensureBuilt);

  it("--help prints usage", async () => {
    const r = await cli("fuzz", "--help");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: futex-fuzz fuzz /);
    expect(r.out).toContain("--keep-going");
  });

  it("--bugs nope is a usage error", async () => {
    const r = await cli("fuzz", "--bugs", "nope", "--runs", "10");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown bug switch 'nope'");
  });

  it("rejects an unknown target and bad numbers", async () => {
    expect((await cli("fuzz", "--target", "nope")).code).toBe(2);
    expect((await cli("fuzz", "--time", "soon")).code).toBe(2);
    expect((await cli("fuzz", "--jobs", "0")).code).toBe(2);
    expect((await cli("fuzz", "--seed", "0")).code).toBe(2);
  });

  it("--runs 2000 on the fixed kernel exits 0 with a summary and stores nothing", async () => {
    const regressions = tmp("reg");
    const work = tmp("work");
    const r = await cli("fuzz", "--runs", "2000", "--target", "all", "--regressions", regressions, "--work-dir", work);
    expect(r.out).toContain("== fuzz summary");
    expect(r.out).toMatch(/execs: +[\d,]+ \([\d,]+\/s\)/);
    expect(r.out).toContain("findings:  0 new stored, 0 duplicates");
    expect(r.code).toBe(0);
    expect(readdirSync(regressions)).toEqual([]);
    expect(readdirSync(join(work, "all", "corpus")).length).toBeGreaterThan(0);
  });
});

/** live processes whose command line mentions `needle` (Linux /proc) */
function processesWith(needle: string): number[] {
  if (!existsSync("/proc/self/cmdline")) return [];
  const out: number[] = [];
  for (const d of readdirSync("/proc"))
    if (/^\d+$/.test(d))
      try {
        if (readFileSync(`/proc/${d}/cmdline`, "utf8").includes(needle)) out.push(Number(d));
      } catch {
        // gone meanwhile
      }
  return out;
}

describe("futex-fuzz fuzz interrupted", () => {
  beforeAll(ensureBuilt);

  it("Ctrl-C stops jazzer, prints the summary and exits 130", async () => {
    const work = tmp("int");
    const regressions = tmp("intreg");
    const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin", "futex-fuzz.js"), "fuzz", "--time", "120", "--keep-going", "--work-dir", work, "--regressions", regressions], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    const started = new Promise<void>((resolve) =>
      child.stderr.on("data", (d) => {
        err += d;
        if (/execs [1-9]/.test(err)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await started;
    expect(processesWith(work).length).toBeGreaterThan(0);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(err).toContain("interrupted");
    expect(out).toContain("== fuzz summary (interrupted)");
    expect(processesWith(work)).toEqual([]);
  });
});

describe("crash artifacts", () => {
  it("are decoded, minimized, stored once per signature and printed", () => {
    const { program, bugs, sig } = FOUND;
    const dir = tmp("crash");
    const artifact = join(dir, "crash-0001");
    writeFileSync(artifact, encode(program, TARGET_EVENTS.all));
    const regressions = join(dir, "regressions");
    const flags = { target: "all", bugs: [...bugs].join(",") };
    const first = intake(artifact, flags, { dest: { regressions } });
    expect(first).toMatchObject({ kind: "new", signature: sig });
    if (!isFinding(first)) throw new Error("not a finding");
    expect(first.events[1]).toBeLessThanOrEqual(program.events.length);
    const stored = readFileSync(first.path!, "utf8");
    expect(stored).toContain(`# signature ${sig}`);
    expect(stored).toBe(first.text);
    const out = formatOutcome(first);
    expect(out).toContain(`[${sig}]`);
    expect(out).toContain("--- reproducer ---");
    expect(out).toContain("--- diagram ---");
    expect(out).toContain(stored);
    expect(out).toContain(`input:     ${artifact}: raw bytes decoded with the event table of target all (--target)`);
    // the stored reproducer still has the finding
    const again = execute(parseCorpusFile(stored).program, { bugs }).findings[0];
    expect(again && signature(again)).toBe(sig);

    const second = intake(artifact, flags, { dest: { regressions } });
    expect(second).toMatchObject({ kind: "duplicate", signature: sig, path: first.path });
    expect(listCorpusFiles([regressions])).toEqual([first.path]);
  });

  it("a triaged finding is stored once per signature and printed with its diagram (kernel-independent)", () => {
    // a made-up finding on a clean program: the minimizer cannot reproduce it and keeps the
    // original; storing, deduplication and printing are what is tested here
    const dir = tmp("synthetic");
    const src = join(dir, "p.fz");
    writeFileSync(src, "t0 mmap m0 anon\nt0 store m0+0 1\n");
    const input = resolveInput(src);
    const finding = { kind: "use-after-free" as const, title: "KASAN: slab-use-after-free in test_frame", stack: ["do_test", "test_frame"], event: 1, task: 0 };
    const regressions = join(dir, "reg");
    const t = { kind: "finding" as const, input, finding, signature: signature(finding) };
    const first = finish(t, { dest: { regressions }, origin: "seed 1" });
    expect(first).toMatchObject({ kind: "new", signature: "use-after-free:test_frame", events: [2, 2] });
    const out = formatOutcome(first);
    expect(out).toContain("== FINDING KASAN: slab-use-after-free in test_frame [use-after-free:test_frame] (seed 1)");
    expect(out).toContain("original kept");
    expect(out).toContain("# signature use-after-free:test_frame");
    expect(out).toContain("--- diagram ---\nCPU 0");
    const second = finish(t, { dest: { regressions } });
    expect(second).toMatchObject({ kind: "duplicate", path: (first as { path?: string }).path });
    expect(listCorpusFiles([regressions])).toHaveLength(1);
  });

  it("an artifact that runs clean is reported, not stored", () => {
    const dir = tmp("clean");
    const artifact = join(dir, "timeout-0001");
    writeFileSync(artifact, encode(parse("t0 mmap m0 anon\nt0 store m0+0 1\n"), TARGET_EVENTS.all));
    const o = intake(artifact, { target: "all" }, { dest: { regressions: join(dir, "reg") } });
    expect(o.kind).toBe("clean");
    expect(formatOutcome(o)).toContain("runs clean when replayed");
    expect(existsSync(join(dir, "reg"))).toBe(false);
  });

  it("a jazzer crash ends the campaign and its artifact goes through triage (stand-in target)", async () => {
    // the stand-in throws on every input of 2+ bytes: the crash path runs whatever today's
    // kernel says about the bytes (most likely: clean when replayed)
    const dir = tmp("standin");
    const module = join(dir, "crashy.cjs");
    writeFileSync(module, "module.exports.fuzz = (data) => { if (data.length >= 2) throw new Error('stand-in crash'); };\n");
    let out = "";
    const r = await runCampaign(
      { target: "all", bugs: parseBugs(undefined), runs: 100_000, jobs: 1, regressions: join(dir, "reg"), stopOnFirst: true, seed: 1, workDir: join(dir, "work"), seedDirs: [], module },
      { out: (s) => void (out += s), err: () => {} },
    );
    expect(r.errors).toEqual([]);
    expect(r.processes).toBe(1);
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(o.source).toMatch(/[/\\]crash-[0-9a-f]{40}$/);
    expect(existsSync(o.source)).toBe(true);
    // the sidecar names the artifact's target and switches
    expect(JSON.parse(readFileSync(`${o.source}.json`, "utf8"))).toEqual({ target: "all", bugs: [], seed: 1 });
    expect(r.execs).toBeLessThan(100_000);
    expect(out).toMatch(o.kind === "clean" ? /runs clean when replayed/ : /== (FINDING|HARNESS ERROR|NO VERDICT)/);
  });

  it("--jobs 2: both workers' crash artifacts go through the same triage (stand-in target)", async () => {
    const dir = tmp("standin2");
    let out = "";
    const module = join(dir, "crashy.cjs");
    writeFileSync(module, "module.exports.fuzz = (data) => { if (data.length >= 2) throw new Error('stand-in crash'); };\n");
    const r = await runCampaign(
      { target: "all", bugs: parseBugs(undefined), runs: 8, jobs: 2, regressions: join(dir, "reg"), seed: 1, workDir: join(dir, "work"), seedDirs: [], module },
      { out: (s) => void (out += s), err: () => {} },
    );
    expect(r.errors).toEqual([]);
    expect(r.processes).toBeGreaterThanOrEqual(2);
    const artifacts = new Set(r.outcomes.map((o) => o.source));
    expect(artifacts.size).toBe(r.outcomes.length);
    // every crash file any worker left went through triage exactly once (two workers that hit
    // the same input share one crash-<sha1> file, handled once)
    const files = readdirSync(join(dir, "work", "all", "artifacts")).filter((f) => f.startsWith("crash-") && !f.endsWith(".json"));
    expect([...artifacts].map((a) => a.split("/").pop()).sort()).toEqual(files.sort());
    expect(files.length).toBeGreaterThanOrEqual(1);
  });

  it("a time budget is a budget: --time S keeps fuzzing past findings for S seconds; --stop-on-first stops (stand-in target)", async () => {
    expect(keepsGoing({ timeSec: 5 })).toBe(true);
    expect(keepsGoing({ runs: 5 })).toBe(true);
    expect(keepsGoing({ timeSec: 5, stopOnFirst: true })).toBe(false);
    expect(keepsGoing({})).toBe(false);
    const dir = tmp("budget");
    const module = join(dir, "crashy.cjs");
    writeFileSync(module, "module.exports.fuzz = (data) => { if (data.length >= 2) throw new Error('stand-in crash'); };\n");
    const base = { target: "all", bugs: parseBugs(undefined), jobs: 1, regressions: join(dir, "reg"), seed: 1, seedDirs: [], module };
    const t0 = Date.now();
    const r = await runCampaign({ ...base, timeSec: 4, workDir: join(dir, "w1") }, { out: () => {}, err: () => {} });
    expect(r.processes).toBeGreaterThanOrEqual(2);
    // every restart after a crash goes on fuzzing; each crash input is triaged once
    expect(r.outcomes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(r.outcomes.map((o) => o.source)).size).toBe(r.outcomes.length);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3000);
    const once = await runCampaign({ ...base, timeSec: 60, stopOnFirst: true, workDir: join(dir, "w2") }, { out: () => {}, err: () => {} });
    expect(once.processes).toBe(1);
    expect(once.outcomes).toHaveLength(1);
    expect(once.elapsedMs).toBeLessThan(30_000);
  });

  it("a campaign seeded with a finding stores it once and --keep-going restarts past it", async () => {
    ensureBuilt();
    const { program, bugs, sig } = FOUND;
    // seeds that already fire under the switches are left out of a campaign, so the finding
    // comes in as an input the byte corpus already holds (as if an earlier run had found it)
    const seeds = tmp("cseeds");
    const work = tmp("cwork");
    mkdirSync(join(work, "all", "corpus"), { recursive: true });
    writeFileSync(join(work, "all", "corpus", "earlier-input"), encode(program, TARGET_EVENTS.all!));
    const regressions = tmp("creg");
    let out = "";
    const r = await runCampaign(
      { target: "all", bugs, runs: 3000, jobs: 1, regressions, seed: 1, workDir: work, seedDirs: [seeds] },
      { out: (s) => void (out += s), err: () => {} },
    );
    expect(r.errors).toEqual([]);
    // the input crashes the first process while its corpus loads; the restart ignores that signature
    expect(r.processes).toBeGreaterThanOrEqual(2);
    const mine = r.outcomes.filter((o) => isFinding(o) && o.signature === sig);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.kind).toBe("new");
    const m0 = mine[0]!;
    expect(existsSync(m0.source)).toBe(true);
    expect(isFinding(m0) && listCorpusFiles([regressions]).includes(m0.path ?? "")).toBe(true);
    expect(out).toContain("--- diagram ---");
    expect(r.execs).toBeGreaterThan(100);
    // the campaign's log for 'futex-fuzz report': one line per finding, one per progress tick
    const lines = (f: string) => readFileSync(join(work, "all", f), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const logged = lines("findings.jsonl").filter((l) => l.signature === sig);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ kind: FOUND.sig.split(":")[0], file: isFinding(m0) ? m0.path : "", new: true });
    expect(typeof logged[0]!.t).toBe("number");
    expect(typeof logged[0]!.title).toBe("string");
    const progress = lines("progress.jsonl");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const p of progress) expect(Object.keys(p).sort()).toEqual(["corpus", "cov", "execs", "execsPerSecond", "findings", "ft", "t"]);
    expect(progress.at(-1)).toMatchObject({ execs: r.execs, findings: r.outcomes.filter(isFinding).length });
  });
});
