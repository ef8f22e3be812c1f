// Seeding a target's byte corpus from the text corpora: every .fz program whose event kinds are
// all in the target's event set is encoded with that set and written under its SHA-1 (libFuzzer's
// own naming, so re-seeding is idempotent and never duplicates an input libFuzzer already saved).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { writeDictionary } from "./dictionary.js";
import type { WorkDirs } from "./paths.js";
import { writeAtomic } from "../corpus/atomic.js";
import { listCorpusFiles } from "../corpus/walk.js";
import { encode } from "../program/codec.js";
import { loadProgramFile } from "../program/load.js";
import { kindOf, type EventKind } from "../program/events.js";
import type { Program } from "../program/types.js";
import type { BugSet } from "../bugs/switches.js";
import { execute } from "../exec/executor.js";

export interface SeedReport {
  /** .fz files found */
  files: number;
  /** inputs present in the corpus dir for them (written now or already there) */
  seeded: number;
  /** programs using event kinds outside the target's event set */
  outOfTarget: number;
  /** programs left out because they already fire a finding under the campaign's bug switches */
  firing: number;
  /** files left out by name (`skip`) */
  skipped: number;
  /** files that failed to load, with the reason */
  broken: string[];
  /** the programs seeded (the material of the event dictionary) */
  programs: Program[];
}

export function inTarget(p: Program, table: readonly EventKind[]): boolean {
  return p.events.every((ev) => table.includes(kindOf(ev.op)));
}

export function sha1(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}

/**
 * Seed `corpusDir`. With bug switches on, a seed that already fires a finding under them is the
 * answer, not a starting point: it is left out (and removed if an earlier campaign wrote it), so
 * a campaign shows the fuzzer finding the bug rather than replaying a seed. Files whose base
 * name is in `skip` are left out too (the benchmark's --without-seeds ablation).
 */
export function seedCorpus(corpusDir: string, table: readonly EventKind[], seedDirs: readonly string[], bugs?: BugSet, skip?: ReadonlySet<string>): SeedReport {
  mkdirSync(corpusDir, { recursive: true });
  const r: SeedReport = { files: 0, seeded: 0, outOfTarget: 0, firing: 0, skipped: 0, broken: [], programs: [] };
  for (const file of listCorpusFiles(seedDirs)) {
    r.files++;
    if (skip?.has(basename(file))) {
      r.skipped++;
      continue;
    }
    let program: Program;
    try {
      program = loadProgramFile(file).program;
    } catch (e) {
      r.broken.push((e as Error).message);
      continue;
    }
    if (!inTarget(program, table)) {
      r.outOfTarget++;
      continue;
    }
    const bytes = encode(program, table);
    const dest = join(corpusDir, sha1(bytes));
    if (bugs && bugs.size > 0 && execute(program, { bugs }).findings.length > 0) {
      r.firing++;
      rmSync(dest, { force: true });
      continue;
    }
    if (!existsSync(dest)) writeAtomic(dest, bytes);
    r.seeded++;
    r.programs.push(program);
  }
  return r;
}

export interface Prepared {
  seeds: SeedReport;
  /** the event dictionary file for libFuzzer's -dict (undefined: none), and its word count */
  dict?: string;
  words: number;
}

/**
 * A campaign's start: the work dirs, the byte corpus seeded from the text corpora (without the
 * seeds that fire under `bugs`, and without the files named in `skip`), and the event dictionary
 * of the same seeds unless `noDict`. `futex-fuzz fuzz` and the benchmark's jazzer engines both
 * start here, so a benchmark campaign is seeded exactly as a user's.
 */
export function prepareWorkDir(
  dirs: WorkDirs,
  table: readonly EventKind[],
  seedDirs: readonly string[],
  o: { bugs?: BugSet; skip?: ReadonlySet<string>; noDict?: boolean } = {},
): Prepared {
  mkdirSync(dirs.corpus, { recursive: true });
  mkdirSync(dirs.artifacts, { recursive: true });
  const seeds = seedCorpus(dirs.corpus, table, seedDirs, o.bugs, o.skip);
  if (o.noDict) return { seeds, words: 0 };
  return { seeds, dict: dirs.dict, words: writeDictionary(dirs.dict, seeds.programs, table) };
}
