// futex-fuzz report [WORK_DIR | FILE...] [-o report.html] [--bugs a,b] [--target T] [--corpus DIR]
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { WriteError, writeAtomic } from "../corpus/atomic.js";
import { DEFAULT_WORK_DIR, displayPath, PROJECT_ROOT } from "../fuzzing/paths.js";
import { FINDINGS_LOG, PROGRESS_LOG, readWorkDir } from "../report/logs.js";
import { buildReport, type ReportInput } from "../report/page.js";
import { parseArgs, strFlag, UsageError } from "./args.js";
import { corpusCommand } from "./corpus.js";
import type { Io } from "./main.js";
import { inputFlags, TARGET_FLAG_HELP } from "./target.js";

const DEFAULT_OUT = "report.html";
const DEFAULT_CORPUS = join(PROJECT_ROOT, "corpus");

export const REPORT_HELP = `usage: futex-fuzz report [WORK_DIR] [-o report.html] [--corpus DIR] [--bugs a,b]
       futex-fuzz report FILE... [-o report.html] [--bugs a,b] [--target T] [--corpus DIR]

Write one self-contained HTML page (inline CSS and SVG; it loads nothing, runs no script) about
a fuzzing campaign or about stored reproducers.

WORK_DIR (default .fuzz-out, where 'futex-fuzz fuzz' works) has one directory per target. For
each target the page shows:
  - coverage, features, corpus size and execs/s over time as line charts, with the times of the
    findings marked, from <target>/${PROGRESS_LOG} (one JSON object a line:
    {"t", "execs", "execsPerSecond", "cov", "ft", "corpus", "findings"});
  - the findings of <target>/${FINDINGS_LOG} ({"t", "signature", "title", "kind", "file", "new"})
    in a table, and for each distinct stored reproducer its race: the program re-run with
    tracing on, drawn as a timeline with one lane per CPU, a mark per preemption point coloured
    by task (hover a mark for its label), the program events on top and where the sanitizer
    fired, with the KASAN-style report and the program listing beside it;
  - 'futex-fuzz corpus stats' of the text corpus (--corpus DIR, default the project's corpus/).
A missing log is said on the page; the page is still written.

FILE... (.fz programs, or raw crash bytes) draws those reproducers the same way, e.g.
'futex-fuzz report corpus/regressions/*/*.fz'. Corpus stats only with --corpus.

  -o, --out F    write the page to F (atomically; its directory is created), '-' for stdout
                 (default ${DEFAULT_OUT})
  --corpus DIR   the text corpus to count (see 'futex-fuzz corpus stats')
  --bugs a,b     run every reproducer with these switches instead of its '# bugs' header
${TARGET_FLAG_HELP}

The page is the same bytes for the same inputs (no timestamps).

exit status: 0 page written, 2 usage error (missing WORK_DIR or FILE, unwritable -o)
`;

function writeOut(out: string, html: string): void {
  try {
    writeAtomic(out, html);
  } catch (e) {
    if (e instanceof WriteError) throw new UsageError(`-o ${out}: cannot write: ${e.code}`);
    throw e;
  }
}

function corpusStats(dir: string): { display: string; text: string } {
  if (!existsSync(dir)) throw new UsageError(`--corpus ${dir}: no such directory`);
  let text = "";
  const capture: Io = { out: (s) => void (text += s), err: (s) => void (text += s) };
  corpusCommand(["stats", dir], capture);
  return { display: displayPath(dir), text };
}

export function reportCommand(argv: string[], io: Io): number {
  const a = parseArgs(
    argv,
    { out: { value: true }, corpus: { value: true }, bugs: { value: true }, target: { value: true }, help: { value: false } },
    { "-h": "--help", "-o": "--out" },
  );
  if (a.flags.has("help")) return io.out(REPORT_HELP), 0;
  const out = strFlag(a, "out") ?? DEFAULT_OUT;
  if (!out) throw new UsageError("-o needs a file name");
  const paths = a.positional;
  for (const p of paths) if (!existsSync(p)) throw new UsageError(`${p}: no such file or directory`);
  const dirs = paths.filter((p) => statSync(p).isDirectory());
  if (dirs.length && paths.length > 1) throw new UsageError(`give one WORK_DIR, or FILEs (${dirs[0]} is a directory)`);
  const input: ReportInput = {
    run: inputFlags(a),
  };
  if (paths.length === 0 || dirs.length) {
    const workDir = paths[0] ?? DEFAULT_WORK_DIR;
    if (!existsSync(workDir)) throw new UsageError(`${displayPath(workDir)}: no such directory (no campaign has run here: see 'futex-fuzz fuzz')`);
    if (strFlag(a, "target")) throw new UsageError("--target applies to FILEs (raw crash bytes), not to a WORK_DIR");
    input.campaign = { display: displayPath(workDir), targets: readWorkDir(workDir) };
    input.corpusStats = corpusStats(strFlag(a, "corpus") ?? DEFAULT_CORPUS);
  } else {
    for (const p of paths) if (!statSync(p).isFile()) throw new UsageError(`${p}: not a regular file`);
    input.files = paths.map((p) => ({ path: p, display: p }));
    const c = strFlag(a, "corpus");
    if (c) input.corpusStats = corpusStats(c);
  }
  const r = buildReport(input);
  if (out === "-") io.out(r.html);
  else {
    writeOut(out, r.html);
    const what = input.campaign ? `${input.campaign.targets.length} target(s), ` : "";
    io.out(`wrote ${out}: ${what}${r.findings} finding(s)\n`);
  }
  return 0;
}
