// The portfolio (src/fuzzing/portfolio.ts): which engine each launch of a campaign runs, and a
// campaign of the generative engine through the same triage as jazzer's.
import { isFinding } from "../src/corpus/outcome.js";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt as buildIfStale } from "./build.js";
import { parseBugs } from "../src/bugs/switches.js";
import { runCampaign } from "../src/fuzzing/campaign.js";
import { jazzerArgv, type JazzerRun } from "../src/fuzzing/jazzer.js";
import { SEED_DIRS, workDirs } from "../src/fuzzing/paths.js";
import { prepareWorkDir } from "../src/fuzzing/seeds.js";
import { startGenerativeHere } from "../src/fuzzing/generative-here.js";
import { targetEvents } from "../src/program/targets.js";
import { decode, encode } from "../src/program/codec.js";
import type { Program } from "../src/program/types.js";
import { execute } from "../src/exec/executor.js";
import { blindStream } from "../src/fuzzing/generative.js";
import { describePortfolio, engineFor, engineRun, launchSeconds, parseEngines, planLaunch, SLICE_SEC, tallyNote, tallySummary, newTally, generativeWorker } from "../src/fuzzing/portfolio.js";

describe("portfolio: engines per launch", () => {
  it("parses --engines lists; unknown, repeated or empty lists are errors", () => {
    expect(parseEngines("jazzer,gen")).toEqual(["jazzer", "gen"]);
    expect(parseEngines(" gen ")).toEqual(["gen"]);
    expect(() => parseEngines("jazzer,nope")).toThrow(/unknown engine 'nope'/);
    expect(() => parseEngines("gen,gen")).toThrow(/twice/);
    expect(() => parseEngines(",")).toThrow(/no engine/);
  });

  it("one worker takes the engines in turn, gen first, each for its slice of the time left", () => {
    const p = { engines: parseEngines("jazzer,gen"), jobs: 1 };
    expect([0, 1, 2, 3].map((l) => engineFor(p, 0, l))).toEqual(["gen", "jazzer", "gen", "jazzer"]);
    expect(launchSeconds(p, "gen", 100)).toBe(SLICE_SEC.gen);
    expect(launchSeconds(p, "jazzer", 100)).toBe(SLICE_SEC.jazzer);
    expect(launchSeconds(p, "jazzer", 7)).toBe(7);
    expect(launchSeconds(p, "gen", undefined)).toBe(SLICE_SEC.gen);
    expect(launchSeconds({ ...p, slices: { gen: 3 } }, "gen", 100)).toBe(3);
    expect(describePortfolio(p)).toBe(`engines gen ${SLICE_SEC.gen}s, jazzer ${SLICE_SEC.jazzer}s in turn`);
  });

  it("--jobs N >= engines splits the workers, each running one engine for all the time", () => {
    const p = { engines: parseEngines("jazzer,gen"), jobs: 3 };
    expect([0, 1, 2].map((w) => engineFor(p, w, 0))).toEqual(["jazzer", "gen", "jazzer"]);
    expect([0, 1, 2].map((w) => engineFor(p, w, 5))).toEqual(["jazzer", "gen", "jazzer"]);
    expect(launchSeconds(p, "jazzer", 100)).toBe(100);
    expect(launchSeconds({ engines: ["jazzer"], jobs: 1 }, "jazzer", undefined)).toBeUndefined();
    expect(describePortfolio(p)).toMatch(/split over the workers/);
  });

  it("a gen-first worker starts with a burst in the campaign's process, then the turns begin; a jazzer-first worker has none", () => {
    const one = { engines: parseEngines("jazzer,gen"), jobs: 1 };
    const plan = (p: typeof one, w: number, left: number | undefined, burst = 500) => [0, 1, 2, 3].map((l) => planLaunch(p, w, l, left, burst));
    expect(plan(one, 0, 100)).toEqual([
      { engine: "gen", here: true, seconds: 100, runs: 500, lead: 0 },
      { engine: "gen", here: false, seconds: SLICE_SEC.gen },
      { engine: "jazzer", here: false, seconds: SLICE_SEC.jazzer },
      { engine: "gen", here: false, seconds: SLICE_SEC.gen },
    ]);
    // the burst is counted in executions (the same programs on any machine), capped by the time left
    expect(planLaunch(one, 0, 0, undefined, 500)).toEqual({ engine: "gen", here: true, seconds: undefined, runs: 500, lead: 0 });
    // a lead of blind programs comes first, within the burst's executions; the turns are the same
    expect(planLaunch(one, 0, 0, 100, 500, 2000)).toEqual({ engine: "gen", here: true, seconds: 100, runs: 2500, lead: 2000 });
    expect(planLaunch(one, 0, 1, 100, 500, 2000)).toEqual(plan(one, 0, 100)[1]);
    expect(engineRun("gen", "all", { target: "", corpus: ["/c"], artifacts: "/a", seed: 7 }, 2000).argv?.slice(-2)).toEqual(["--lead", "2000"]);
    // with no burst the turns are engineFor's
    expect(plan(one, 0, 100, 0).map((l) => l.engine)).toEqual([0, 1, 2, 3].map((l) => engineFor(one, 0, l)));
    expect(plan(one, 0, 100, 0).every((l) => !l.here)).toBe(true);
    // split workers: the gen worker bursts, then runs gen for the time left; the jazzer worker never bursts
    const two = { engines: parseEngines("jazzer,gen"), jobs: 2 };
    expect(plan(two, 1, 100).map((l) => [l.engine, l.here, l.seconds])).toEqual([["gen", true, 100], ["gen", false, 100], ["gen", false, 100], ["gen", false, 100]]);
    expect(plan(two, 0, 100).map((l) => [l.engine, l.here])).toEqual([["jazzer", false], ["jazzer", false], ["jazzer", false], ["jazzer", false]]);
    expect(plan({ engines: ["jazzer"], jobs: 1 }, 0, 100).every((l) => l.engine === "jazzer" && !l.here)).toBe(true);
  });

  it("the gen engine's process is the generative worker on the same corpus and artifacts; jazzer's is unchanged", () => {
    const r: JazzerRun = { target: "dist/fuzz/all.js", corpus: ["/c"], artifacts: "/a", seed: 7, maxTotalTime: 9, runs: 100 };
    expect(engineRun("jazzer", "all", r)).toBe(r);
    const g = engineRun("gen", "all", r);
    // its pool (what it found, kept across its time slices) lives beside the corpus, not in it
    expect(g.argv).toEqual([generativeWorker(), "--target", "all", "--seed", "7", "--corpus", "/c", "--artifacts", "/a", "--pool", "/gen-pool", "--max-total-time", "9", "--runs", "100"]);
    // jazzer runs the target module through its CLI, not the worker
    expect(jazzerArgv(r)[1]).toBe(r.target);
  });

  it("the progress note and summary say which engine found what", () => {
    const t = newTally();
    t.gen = { processes: 2, bursts: 0, findings: 1 };
    t.jazzer = { processes: 1, bursts: 0, findings: 0 };
    expect(tallyNote({ engines: ["jazzer", "gen"], jobs: 1 }, t)).toBe(" [jazzer 0, gen 1]");
    expect(tallyNote({ engines: ["jazzer"], jobs: 1 }, t)).toBe("");
    expect(tallySummary(t)).toBe("jazzer (1 process, 0 findings), gen (2 processes, 1 finding)");
    t.gen = { processes: 2, bursts: 1, findings: 1 };
    expect(tallySummary(t)).toBe("jazzer (1 process, 0 findings), gen (a burst + 2 processes, 1 finding)");
    t.gen = { processes: 0, bursts: 1, findings: 1 };
    expect(tallySummary(t)).toBe("jazzer (1 process, 0 findings), gen (a burst, 1 finding)");
  });
});

describe("portfolio: a generative campaign", () => {
  beforeAll(() => buildIfStale("src/fuzzing/generative-worker.js"), 120_000);

  it("finds a shallow switch, and its artifact goes through the shared triage: minimized, stored, attributed to gen", async () => {
    const work = mkdtempSync(join(tmpdir(), "ff-portfolio-"));
    const regressions = join(work, "reg");
    let out = "";
    let err = "";
    const r = await runCampaign(
      { target: "fork-lifecycle", bugs: parseBugs("fork-copies-phash-new"), timeSec: 60, jobs: 1, regressions, keepGoing: false, seed: 1, workDir: work, engines: ["gen"], progressMs: 500 },
      { out: (s) => void (out += s), err: (s) => void (err += s) },
    );
    expect(r.errors).toEqual([]);
    // the switch's expected kinds: a double free or a use-after-free of the shared phash_new
    expect(r.outcomes.map((o) => o.kind)).toEqual(["new"]);
    const o = r.outcomes[0]!;
    if (!isFinding(o)) throw new Error(`not a finding: ${o.kind}`);
    const sig = o.signature;
    expect(sig).toMatch(/^(double-free|use-after-free):/);
    // found within the burst in this process: no engine process was started
    expect(r.engines.gen).toEqual({ processes: 0, bursts: 1, findings: 1 });
    expect(r.processes).toBe(0);
    expect(r.engines.jazzer.processes).toBe(0);
    expect(out).toMatch(/== FINDING .*\(seed 1, after/);
    expect(err).toMatch(/engine gen/);
    // stored in the one layout: <bug-id>/<hash>.fz
    expect(readdirSync(join(regressions, "fork-copies-phash-new")).filter((f) => f.endsWith(".fz"))).toHaveLength(1);
  }, 90_000);

  it("the burst speaks the worker's log: its finding's artifact, and a failure as a worker's exit 1 with the error in its tail", async () => {
    const work = mkdtempSync(join(tmpdir(), "ff-here-"));
    const dirs = workDirs(work, "fork-lifecycle");
    prepareWorkDir(dirs, targetEvents("fork-lifecycle"), SEED_DIRS, {});
    mkdirSync(dirs.artifacts, { recursive: true });
    const statuses: string[] = [];
    const run = engineRun("gen", "fork-lifecycle", { target: "", corpus: [dirs.corpus], artifacts: dirs.artifacts, seed: 1, maxTotalTime: 30 });
    const found = await startGenerativeHere(run, { env: { FUTEX_FUZZ_BUGS: "futex-ref-leak-mm_alloc" }, onStatus: (st) => statuses.push(st.event) }).done;
    expect(found.code).toBe(1);
    expect(found.artifacts).toHaveLength(1);
    expect(readdirSync(dirs.artifacts)).toEqual([found.artifacts[0]!.split("/").pop()]);
    expect(found.execs).toBeGreaterThan(0);
    expect(statuses[0]).toBe("INITED");
    const bad = await startGenerativeHere({ ...run, argv: [generativeWorker(), "--target", "nope", "--seed", "1", "--corpus", dirs.corpus, "--artifacts", dirs.artifacts] }, { env: {}, onStatus: () => {} }).done;
    expect(bad.code).toBe(1);
    expect(bad.artifacts).toEqual([]);
    expect(bad.tail.join("\n")).toMatch(/generative engine failed: .*nope/);
  });

  it("the burst's lead is blind guessing: the blind stream's first programs for its seed, before the corpus is read", async () => {
    const work = mkdtempSync(join(tmpdir(), "ff-lead-"));
    const dirs = workDirs(work, "hash-resize");
    mkdirSync(dirs.corpus, { recursive: true });
    mkdirSync(dirs.artifacts, { recursive: true });
    const table = targetEvents("hash-resize");
    const bugs = parseBugs("pivot-pending-might-sleep");
    // where the blind stream of seed 3 first fires the switch
    const blind = blindStream(table, 3);
    let n = 0;
    let hit: Program | undefined;
    while (!hit && n < 5000) {
      const p = blind();
      n++;
      if (execute(p, { bugs }).findings.length > 0) hit = p;
    }
    if (!hit) throw new Error("the blind stream of seed 3 does not fire pivot-pending-might-sleep in 5000 programs");
    const lines: string[] = [];
    const go = (lead: number) =>
      startGenerativeHere(engineRun("gen", "hash-resize", { target: "", corpus: [dirs.corpus], artifacts: dirs.artifacts, seed: 3, runs: lead + 100 }, lead), {
        env: { FUTEX_FUZZ_BUGS: "pivot-pending-might-sleep" },
        onStatus: () => {},
        onLine: (l) => lines.push(l),
        beforeCorpus: () => {
          // the campaign seeds the corpus here: after the lead, before the engine reads it
          lines.push("seeding");
          prepareWorkDir(dirs, table, SEED_DIRS, { bugs });
        },
      }).done;
    // a lead long enough finds it at the same program, and never reads the corpus
    const found = await go(n + 10);
    expect(found.code).toBe(1);
    expect(found.execs).toBe(n);
    expect(encode(decode(readFileSync(found.artifacts[0]!), table), table)).toEqual(encode(hit, table));
    expect(lines).not.toContain("seeding");
    // a shorter one reads it once, after its last program; the engine's own programs follow
    lines.length = 0;
    const after = await go(n - 1);
    expect(after.execs).toBeGreaterThanOrEqual(n - 1);
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(lines.filter((l) => l === "seeding")).toHaveLength(1);
    expect(at(/a lead of \d+ blind programs first/)).toBeLessThan(at(/^seeding$/));
    expect(at(/^seeding$/)).toBeLessThan(at(/\d+ corpus programs/));
  });

  it("what a gen process found is not lost when its slice ends: the next one starts from its pool", () => {
    const work = mkdtempSync(join(tmpdir(), "ff-pool-"));
    const dirs = workDirs(work, "hash-resize");
    prepareWorkDir(dirs, targetEvents("hash-resize"), SEED_DIRS, {});
    mkdirSync(dirs.artifacts, { recursive: true });
    const pool = join(dirs.root, "gen-pool");
    const worker = (seed: number) =>
      spawnSync(process.execPath, [generativeWorker(), "--target", "hash-resize", "--seed", String(seed), "--corpus", dirs.corpus, "--artifacts", dirs.artifacts, "--pool", pool, "--runs", "1500"], {
        encoding: "utf8",
        env: { ...process.env, FUTEX_FUZZ_BUGS: "" },
      });
    const first = worker(1);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/, 0 kept from earlier processes/);
    const kept = readdirSync(pool);
    expect(kept.length).toBeGreaterThan(10);
    const second = worker(2);
    expect(second.status).toBe(0);
    const n = Number(/, (\d+) kept from earlier processes/.exec(second.stderr)?.[1]);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(kept.length);
  }, 90_000);

  it("one worker, both engines: gen's burst, then its slice in a process, then jazzer for the rest", async () => {
    const work = mkdtempSync(join(tmpdir(), "ff-portfolio-"));
    let err = "";
    const r = await runCampaign(
      { target: "hash-resize", bugs: parseBugs(""), timeSec: 8, jobs: 1, regressions: join(work, "reg"), keepGoing: false, seed: 1, workDir: work, engines: ["jazzer", "gen"], slices: { gen: 2 }, burst: 300, progressMs: 1000 },
      { out: () => {}, err: (s) => void (err += s) },
    );
    expect(r.errors).toEqual([]);
    expect(r.outcomes).toEqual([]);
    expect(r.engines.gen.bursts).toBe(1);
    expect(r.engines.gen.processes).toBe(1);
    expect(r.engines.jazzer.processes).toBe(1);
    expect(r.execs).toBeGreaterThan(0);
    expect(err).toMatch(/findings 0 \[jazzer 0, gen 0\]/);
  }, 90_000);
});
