// futex-fuzz corpus merge: libFuzzer -merge=1 on a temporary work dir's byte corpus, the swap, the
// repair of an interrupted merge, and that the text corpora are never touched. Spawns jazzer on the
// compiled targets (dist/fuzz/*.js): `npm test` builds first; a bare vitest run builds if missing.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TARGET_EVENTS } from "../src/program/targets.js";
import { main } from "../src/cli/main.js";
import { mergeCorpus, MergeError } from "../src/fuzzing/merge.js";
import { jazzerCli } from "../src/fuzzing/jazzer.js";
import { PROJECT_ROOT, SEED_DIRS, targetModule, workDirs } from "../src/fuzzing/paths.js";
import { seedCorpus } from "../src/fuzzing/seeds.js";

const TARGET = "hash-resize";
const tmp = () => mkdtempSync(join(tmpdir(), "ff-merge-"));

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

/** a byte corpus with redundancy: the target's seeds, each twice under another name, and an empty input */
function redundantCorpus(workDir: string): { dir: string; seeds: number } {
  const { corpus } = workDirs(workDir, TARGET);
  const r = seedCorpus(corpus, TARGET_EVENTS[TARGET]!, SEED_DIRS);
  for (const name of readdirSync(corpus)) writeFileSync(join(corpus, `dup-${name}`), readFileSync(join(corpus, name)));
  writeFileSync(join(corpus, "empty"), "");
  return { dir: corpus, seeds: r.seeded };
}

/** edges and features libFuzzer reports after loading `dir` (with the flags campaigns use) */
function coverageOf(dir: string): { cov: number; ft: number } {
  const r = spawnSync(process.execPath, [jazzerCli(), targetModule(TARGET), "--sync", "--disable_bug_detectors=.*", dir, "--", "-runs=0", "-use_value_profile=1"], {
    encoding: "utf8",
    cwd: tmpdir(),
  });
  expect(r.status, r.stderr).toBe(0);
  const m = /INITED cov: (\d+) ft: (\d+)/.exec(r.stderr);
  expect(m, r.stderr).toBeTruthy();
  return { cov: Number(m![1]), ft: Number(m![2]) };
}

/** names, sizes and contents of every file under `dir` */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (p: string) => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      const q = join(p, e.name);
      if (e.isDirectory()) walk(q);
      else out.push(`${q} ${readFileSync(q).toString("hex")}`);
    }
  };
  walk(dir);
  return out.sort().join("\n");
}

/** text corpora beside the work dir, as in the project (corpus/ next to .fuzz-out/) */
function textCorporaBeside(work: string): string {
  const dir = join(work, "..", "corpus");
  for (const sub of ["seeds", "conformance", "regressions/some-signature"]) mkdirSync(join(dir, sub), { recursive: true });
  for (const src of SEED_DIRS) for (const n of readdirSync(src).filter((f) => f.endsWith(".fz")).slice(0, 3)) writeFileSync(join(dir, "seeds", n), readFileSync(join(src, n)));
  writeFileSync(join(dir, "regressions", "some-signature", "0123.fz"), "config cpus=1\nt0 gp\n");
  return dir;
}

beforeAll(() => {
  if (!existsSync(targetModule(TARGET)))
    execFileSync(process.execPath, [join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: PROJECT_ROOT, stdio: "pipe" });
});

describe("corpus merge", () => {
  it("keeps a smaller corpus with the same coverage, reports the counts, swaps atomically and leaves the text corpora alone", async () => {
    const work = join(tmp(), ".fuzz-out");
    const text = textCorporaBeside(work);
    const textBefore = snapshot(text);
    const { dir, seeds } = redundantCorpus(work);
    const before = readdirSync(dir).length;
    expect(before).toBe(2 * seeds + 1);
    const covBefore = coverageOf(dir);

    const r = await cli("corpus", "merge", "--target", TARGET, "--work-dir", work);
    expect(r.code, r.err).toBe(0);
    // progress while it runs, on stderr
    expect(r.err).toMatch(new RegExp(`^\\[merge\\] ${TARGET}: merging ${before} inputs \\(\\d+ bytes\\)\\.\\.\\.$`, "m"));
    expect(r.err).toMatch(new RegExp(`^\\[merge\\] ${TARGET}: \\d+ files, \\d+ in the initial corpus`, "m"));
    const m = new RegExp(`^${TARGET}: (\\d+) -> (\\d+) inputs`, "m").exec(r.out);
    expect(m, r.out).toBeTruthy();
    expect(Number(m![1])).toBe(before);
    const after = readdirSync(dir).length;
    expect(Number(m![2])).toBe(after);
    expect(after).toBeGreaterThan(0);
    // the duplicates never add coverage (the empty input might: a program with no event)
    expect(after).toBeLessThanOrEqual(seeds + 1);
    // no duplicate content survives, and nothing is left beside the corpus
    const contents = readdirSync(dir).map((n) => readFileSync(join(dir, n)).toString("hex"));
    expect(new Set(contents).size).toBe(contents.length);
    expect(readdirSync(workDirs(work, TARGET).root).sort()).toEqual(["artifacts", "corpus"]);

    const covAfter = coverageOf(dir);
    expect(covAfter.cov).toBe(covBefore.cov);
    // value-profile features are hashed comparisons: allow libFuzzer's own jitter of a few
    expect(covAfter.ft).toBeGreaterThanOrEqual(covBefore.ft * 0.99);
    // the merge wrote nothing but the work dir's corpus
    expect(snapshot(text)).toBe(textBefore);
    expect(readdirSync(join(work, "..")).sort()).toEqual([".fuzz-out", "corpus"]);
  });

  it("merges every target that has a byte corpus when no --target is given, and says when there is none", async () => {
    const work = tmp();
    expect((await cli("corpus", "merge", "--work-dir", work)).out).toMatch(/no byte corpus under/);
    redundantCorpus(work);
    const r = await cli("corpus", "merge", "--work-dir", work);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split("\n")).toHaveLength(1);
    expect(r.out).toMatch(new RegExp(`^${TARGET}: \\d+ -> \\d+ inputs`));
    // an existing but empty corpus is reported and skipped
    mkdirSync(workDirs(work, "all").corpus, { recursive: true });
    const r2 = await cli("corpus", "merge", "--work-dir", work, "--target", "all");
    expect(r2.code).toBe(0);
    expect(r2.out).toMatch(/^all: empty byte corpus/);
  });

  it("refuses a work dir inside the text corpora, unknown targets and stray arguments", async () => {
    const r = await cli("corpus", "merge", "--work-dir", join(PROJECT_ROOT, "corpus"), "--target", "all");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/never the text corpora/);
    expect(existsSync(join(PROJECT_ROOT, "corpus", "all"))).toBe(false);
    expect((await cli("corpus", "merge", "--work-dir", join(PROJECT_ROOT, "corpus", "regressions"))).code).toBe(0); // no target corpus there: nothing to do
    expect(existsSync(join(PROJECT_ROOT, "corpus", "regressions", "all"))).toBe(false);
    expect((await cli("corpus", "merge", "--target", "nope")).code).toBe(2);
    expect((await cli("corpus", "merge", "somedir")).code).toBe(2);
    expect((await cli("corpus", "merge", "--bugs", "x")).code).toBe(2);
  });

  it("repairs an interrupted swap: the moved-aside corpus comes back, or its leftover copy goes", async () => {
    const work = tmp();
    const dirs = workDirs(work, TARGET);
    const { seeds } = redundantCorpus(work);
    // interrupted between the two renames: only .merge-old (and a half-written .merge-new) exist
    renameSync(dirs.corpus, join(dirs.root, ".merge-old"));
    mkdirSync(join(dirs.root, ".merge-new"));
    writeFileSync(join(dirs.root, ".merge-new", "partial"), "x");
    const r = await mergeCorpus({ target: TARGET, workDir: work });
    expect(r.repaired).toMatch(/restored/);
    expect(r.before).toBe(2 * seeds + 1);
    expect(readdirSync(dirs.root).sort()).toEqual(["artifacts", "corpus"]);
    // interrupted after the swap: the old corpus is still there beside the new one
    mkdirSync(join(dirs.root, ".merge-old"));
    const r2 = await mergeCorpus({ target: TARGET, workDir: work });
    expect(r2.repaired).toMatch(/removed/);
    expect(readdirSync(dirs.root).sort()).toEqual(["artifacts", "corpus"]);
  });

  it("leaves the corpus as it was when jazzer fails", async () => {
    const work = tmp();
    const { dir } = redundantCorpus(work);
    const names = readdirSync(dir).sort();
    const broken = join(work, "broken.cjs");
    writeFileSync(broken, "throw new Error('stand-in: target does not load');\n");
    await expect(mergeCorpus({ target: TARGET, workDir: work, module: broken })).rejects.toThrow(MergeError);
    expect(readdirSync(dir).sort()).toEqual(names);
    expect(readdirSync(workDirs(work, TARGET).root).sort()).toEqual(["artifacts", "corpus"]);
  });
});
