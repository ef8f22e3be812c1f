// Shrinking a target's byte corpus (WORK/<target>/corpus) to the smallest set of inputs that keeps
// its coverage: libFuzzer's `-merge=1 NEW OLD` run by jazzer.js with the same flags as a campaign
// (value profile on, so kernel-state features count as they do while fuzzing), then a swap of the
// directories. Text corpora (corpus/seeds, conformance, regressions) are never touched: a work dir
// inside corpus/ is refused.
//
// The swap is two renames: corpus -> .merge-old, .merge-new -> corpus, then .merge-old is deleted.
// A merge interrupted between them is repaired by the next one (the old corpus is put back when
// there is no corpus dir). A campaign's lock on the target refuses a merge while it fuzzes.
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { countInputs } from "./campaign.js";
import { startJazzer } from "./jazzer.js";
import { lockWorkDir } from "./lock.js";
import { PROJECT_ROOT, targetModule, workDirs, type WorkDirs } from "./paths.js";

export interface MergeOptions {
  target: string;
  /** parent of <target>/corpus (futex-fuzz fuzz --work-dir) */
  workDir: string;
  /** jazzer target module; default dist/fuzz/<target>.js */
  module?: string;
  /** directories the corpus must not be inside of (default: the project's corpus/) */
  protect?: readonly string[];
  /** forward jazzer's own log */
  onLine?(line: string): void;
  /** a progress note: the merge starts, libFuzzer's MERGE-OUTER steps */
  onProgress?(note: string): void;
}

export interface MergeResult {
  target: string;
  dirs: WorkDirs;
  /** why nothing was merged (no corpus dir, empty corpus) */
  skipped?: string;
  before: number;
  after: number;
  beforeBytes: number;
  afterBytes: number;
  /** from libFuzzer's MERGE-OUTER line: features and edges of the kept inputs */
  features?: number;
  edges?: number;
  /** what the start-up repair did with a previous interrupted merge */
  repaired?: string;
}

export class MergeError extends Error {
  /** true: refused before running (a protected directory); false: jazzer failed */
  constructor(
    message: string,
    readonly refused = false,
  ) {
    super(message);
    this.name = "MergeError";
  }
}

const NEW = ".merge-new";
const OLD = ".merge-old";

function bytesOf(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const name of readdirSync(dir)) if (!name.startsWith(".") && !name.includes(".tmp-")) n += statSync(join(dir, name)).size;
  return n;
}

function real(p: string): string {
  // the longest existing prefix resolved through symlinks, the rest appended
  let cur = resolve(p);
  const rest: string[] = [];
  while (!existsSync(cur)) {
    const up = dirname(cur);
    if (up === cur) break;
    rest.unshift(basename(cur));
    cur = up;
  }
  return join(realpathSync(cur), ...rest);
}

const inside = (child: string, parent: string): boolean => {
  const r = relative(parent, child);
  return r === "" || (r !== ".." && !r.startsWith(".." + sep) && !isAbsolute(r));
};

/** Finish or undo what an interrupted merge left in `root`. */
export function repairInterruptedMerge(dirs: WorkDirs): string | undefined {
  const oldDir = join(dirs.root, OLD);
  const newDir = join(dirs.root, NEW);
  let what: string | undefined;
  if (existsSync(oldDir)) {
    if (!existsSync(dirs.corpus)) {
      renameSync(oldDir, dirs.corpus);
      what = "restored the corpus an interrupted merge had moved aside";
    } else {
      rmSync(oldDir, { recursive: true, force: true });
      what = "removed the old corpus an interrupted merge had left";
    }
  }
  if (existsSync(newDir)) rmSync(newDir, { recursive: true, force: true });
  return what;
}

const MERGE_OUTER = /MERGE-OUTER: (\d+) new files with (\d+) new features added; (\d+) new coverage edges/;

export async function mergeCorpus(o: MergeOptions): Promise<MergeResult> {
  const dirs = workDirs(o.workDir, o.target);
  for (const p of o.protect ?? [join(PROJECT_ROOT, "corpus")])
    if (inside(real(dirs.corpus), real(p)) || inside(real(p), real(dirs.corpus)))
      throw new MergeError(`${dirs.corpus} is inside ${p}: corpus merge only rewrites fuzzer byte corpora, never the text corpora`, true);
  if (!existsSync(dirs.root)) return { target: o.target, dirs, before: 0, after: 0, beforeBytes: 0, afterBytes: 0, skipped: "no byte corpus" };
  // not while a campaign fuzzes this corpus (nor two merges at once): LockError names the holder
  const lock = lockWorkDir(dirs.root, `futex-fuzz corpus merge --target ${o.target}`);
  try {
    return await mergeLocked(o, dirs);
  } finally {
    lock.release();
  }
}

async function mergeLocked(o: MergeOptions, dirs: WorkDirs): Promise<MergeResult> {
  const res: MergeResult = { target: o.target, dirs, before: 0, after: 0, beforeBytes: 0, afterBytes: 0 };
  res.repaired = repairInterruptedMerge(dirs);
  if (!existsSync(dirs.corpus)) return { ...res, skipped: "no byte corpus" };
  res.before = res.after = countInputs(dirs.corpus);
  res.beforeBytes = res.afterBytes = bytesOf(dirs.corpus);
  if (res.before === 0) return { ...res, skipped: "empty byte corpus" };

  const newDir = join(dirs.root, NEW);
  mkdirSync(newDir, { recursive: true });
  o.onProgress?.(`${o.target}: merging ${res.before} inputs (${res.beforeBytes} bytes)...`);
  mkdirSync(dirs.artifacts, { recursive: true });
  const env = { ...process.env, FUTEX_FUZZ_BUGS: "", FUTEX_FUZZ_IGNORE: "" };
  const run = startJazzer(
    { target: o.module ?? targetModule(o.target), corpus: [newDir, dirs.corpus], artifacts: dirs.artifacts, seed: 1, libFuzzerFlags: ["-merge=1"] },
    {
      cwd: dirs.root,
      env,
      onStatus: () => {},
      onLine: (line) => {
        o.onLine?.(line);
        if (/^MERGE-OUTER: (\d+ files|attempt)/.test(line)) o.onProgress?.(`${o.target}: ${line.replace(/^MERGE-OUTER: /, "")}`);
        const m = MERGE_OUTER.exec(line);
        if (m) {
          res.features = Number(m[2]);
          res.edges = Number(m[3]);
        }
      },
    },
  );
  const done = await run.done;
  const after = countInputs(newDir);
  if (done.code !== 0 || done.signal || (after === 0 && res.before > 0)) {
    rmSync(newDir, { recursive: true, force: true });
    const why = done.code !== 0 || done.signal ? `exited with ${done.signal ?? `status ${done.code}`}` : "kept no input";
    throw new MergeError(`jazzer -merge=1 on ${o.target} ${why}; the corpus is unchanged. Its last lines:\n${done.tail.map((l) => `  | ${l}`).join("\n")}`);
  }
  const oldDir = join(dirs.root, OLD);
  renameSync(dirs.corpus, oldDir);
  renameSync(newDir, dirs.corpus);
  rmSync(oldDir, { recursive: true, force: true });
  res.after = after;
  res.afterBytes = bytesOf(dirs.corpus);
  return res;
}
