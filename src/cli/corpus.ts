// futex-fuzz corpus check|stats|import: the corpus as a test suite, its shape, and crash intake.
import { UnknownBugError } from "../bugs/switches.js";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { relative, sep } from "node:path";
import { parseCorpusFile } from "../corpus/file.js";
import { isSidecar, type InputFlags } from "../corpus/input.js";
import { intake } from "../corpus/intake.js";
import { formatOutcome, outcomeStatus, type OutcomeKind } from "../corpus/outcome.js";
import { replayCorpus } from "../corpus/replay.js";
import { listCorpusFiles, listFiles } from "../corpus/walk.js";
import { DEFAULT_MINIMIZE_BUDGET } from "../minimize/minimize.js";
import { loadProgramFile, ProgramFileError } from "../program/load.js";
import { ParseError } from "../program/text.js";
import { EVENT_KINDS, kindOf } from "../program/events.js";
import { intFlag, notAFile, parseArgs, strFlag, UsageError } from "./args.js";
import { EXIT, EXIT_HELP, worst } from "./exit.js";
import type { Io } from "./main.js";
import { corpusMerge } from "./merge.js";
import { inputFlags } from "./target.js";
import { TARGET_EVENTS } from "../program/targets.js";
import { DEFAULT_WORK_DIR, displayPath } from "../fuzzing/paths.js";

export const CORPUS_HELP = `usage: futex-fuzz corpus check [DIR|FILE...]
       futex-fuzz corpus stats [DIR...]
       futex-fuzz corpus import DIR [--bugs a,b] [--target T] [--to corpus/regressions] [--budget N]
       futex-fuzz corpus merge [--target T[,T...]] [--work-dir DIR] [--verbose]

  check    verify every .fz file (default: corpus/): it parses, its '# expect' lines hold with its
           '# bugs', and it is clean on the fixed kernel (no switches). Bad files are listed
           with path and reason and left in place; a file whose run hits the step budget is
           listed as NO VERDICT. Exit 1 if any file is bad, 3 if any has no verdict.
  stats    count files by directory, signature, expected verdict and group (EVENT_KINDS[].group of
           the events used), and list event kinds no corpus file uses.
  import   bring in crash files (jazzer.js/libFuzzer raw bytes or .fz text) from DIR: minimize
           each finding (--budget N runs, default ${DEFAULT_MINIMIZE_BUDGET}) and store it under --to
           (default corpus/regressions) as <bug-id>/<hash>.fz, one file per signature and
           switches, smallest kept, printing for each the block 'futex-fuzz fuzz' prints.
           Unreadable, empty, binary .fz or huge inputs are reported and skipped; no input file
           is ever modified or deleted. Switches: --bugs, else each file's '# bugs' header (or
           a raw artifact's sidecar <file>.json). Raw crash bytes are decoded with the table of
           --target T, else the target its path names (WORK/<target>/artifacts/), else its
           sidecar's, else all.
  merge    shrink the fuzzers' byte corpora WORK/<target>/corpus (WORK: --work-dir, default
           .fuzz-out) to the smallest set of inputs that keeps their coverage (libFuzzer
           -merge=1 through jazzer.js, value profile on as in 'futex-fuzz fuzz'), then swap the
           directories; prints the input counts before and after. Default: every target with a
           byte corpus; --target ${Object.keys(TARGET_EVENTS).join("|")} or a comma list. The text corpora
           (corpus/seeds, conformance, regressions) are never touched. Not while that target
           is being fuzzed: a campaign holds WORK/<target>/lock and merge is refused, naming
           its pid. Prints a line per target as it starts (jazzer's log with --verbose).

${EXIT_HELP}
  check: 1 some file bad, 3 some file without verdict; import: 1 some input had a finding,
  2 some input was unreadable, 3 a harness error or no verdict (the most severe wins);
  merge: 3 if jazzer failed (that corpus is left as it was)
`;

const DEFAULT_DIR = "corpus";

function dirsOf(positional: string[], io: Io): string[] {
  const dirs = positional.length ? positional : [DEFAULT_DIR];
  for (const d of dirs) if (!existsSync(d)) throw new UsageError(`${d}: no such file or directory`);
  void io;
  return dirs;
}

function check(dirs: string[], verbose: boolean, io: Io): number {
  const r = replayCorpus(dirs, (f, v) => {
    if (v.ok) {
      if (verbose) io.out(`ok   ${f}\n`);
      return;
    }
    io.out(`${v.noVerdict ? "NO VERDICT" : "BAD "} ${f}\n`);
    for (const reason of v.reasons) io.out(`     ${reason.split("\n")[0]}\n`);
  });
  const bad = r.failed - r.noVerdict;
  io.out(`${r.passed + r.failed} files checked, ${r.passed} ok, ${bad} bad${r.noVerdict ? `, ${r.noVerdict} without verdict (step budget exhausted)` : ""}\n`);
  return worst(bad ? EXIT.finding : EXIT.clean, r.noVerdict ? EXIT.harness : EXIT.clean);
}

function table(title: string, m: Map<string, number>, byCount = true): string[] {
  const rows = [...m.entries()].sort((a, b) => (byCount && b[1] !== a[1] ? b[1] - a[1] : a[0] < b[0] ? -1 : 1));
  return [title, ...rows.map(([k, n]) => `  ${String(n).padStart(5)}  ${k}`)];
}

function stats(dirs: string[], io: Io): number {
  const files = listCorpusFiles(dirs);
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const byDir = new Map<string, number>();
  const bySig = new Map<string, number>();
  const byGroup = new Map<string, number>();
  const byVerdict = new Map<string, number>();
  const kinds = new Set<string>();
  let unreadable = 0;
  for (const f of files) {
    let parsed;
    try {
      parsed = parseCorpusFile(loadProgramFile(f).text ?? "", f);
    } catch {
      unreadable++;
      continue;
    }
    const root = dirs.find((d) => f === d || f.startsWith(d.endsWith(sep) ? d : d + sep)) ?? "";
    const rel = root && f !== root ? relative(root, f) : f;
    inc(byDir, rel.includes(sep) ? rel.split(sep)[0]! : ".");
    inc(bySig, parsed.signature ?? "(none)");
    const verdicts = parsed.expects.filter((e) => e.kind !== "ret").map((e) => (e.kind === "finding" ? `finding ${e.kinds.join("|")}` : "clean"));
    inc(byVerdict, verdicts.join(", ") || "(no verdict declared)");
    const groups = new Set<string>();
    for (const ev of parsed.program.events) {
      kinds.add(ev.op);
      groups.add(kindOf(ev.op).group);
    }
    for (const a of groups) inc(byGroup, a);
  }
  const unused = EVENT_KINDS.map((k) => k.name).filter((k) => !kinds.has(k));
  const out = [
    `${files.length} corpus files${unreadable ? ` (${unreadable} unreadable: see 'corpus check')` : ""}`,
    ...table("by directory:", byDir, false),
    ...table("by signature:", bySig),
    ...table("by expected verdict:", byVerdict),
    ...table("by group (files using an event of the group):", byGroup),
    `event kinds used by no corpus file: ${unused.length ? unused.join(", ") : "none"}`,
  ];
  io.out(out.join("\n") + "\n");
  return 0;
}

function importCrashes(dir: string, to: string, flags: InputFlags, budget: number, io: Io): number {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a directory`);
  mkdirSync(to, { recursive: true });
  let unreadable = 0;
  const counts = new Map<OutcomeKind, number>();
  let status: number = EXIT.clean;
  for (const f of listFiles(dir)) {
    if (isSidecar(f)) continue;
    let o;
    try {
      o = intake(f, flags, { dest: { regressions: to }, budget });
    } catch (e) {
      // one bad file (unreadable, malformed, an unknown switch in its header or sidecar) is
      // skipped and counted; the rest of the directory is still imported
      if (!(e instanceof ProgramFileError || e instanceof ParseError || e instanceof UnknownBugError)) throw e;
      unreadable++;
      io.err(`skip ${e.message}\n`);
      continue;
    }
    counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
    status = worst(status, outcomeStatus(o));
    io.out(formatOutcome(o, { rel: displayPath }));
  }
  const n = (k: OutcomeKind) => counts.get(k) ?? 0;
  io.out(
    `\n${n("new")} added, ${n("duplicate")} duplicates, ${n("clean")} without a finding, ${unreadable} unreadable` +
      `${n("no-verdict") ? `, ${n("no-verdict")} without verdict` : ""}${n("error") ? `, ${n("error")} harness errors` : ""}\n`,
  );
  return worst(status, unreadable ? EXIT.usage : EXIT.clean);
}

export function corpusCommand(argv: string[], io: Io): number | Promise<number> {
  const a = parseArgs(
    argv,
    {
      bugs: { value: true },
      to: { value: true },
      budget: { value: true },
      target: { value: true },
      "work-dir": { value: true },
      verbose: { value: false },
      help: { value: false },
    },
    { "-h": "--help", "-v": "--verbose" },
  );
  const [sub, ...rest] = a.positional;
  if (a.flags.has("help") || sub === "help") return io.out(CORPUS_HELP), 0;
  const only = (names: string[]) => {
    for (const k of a.flags.keys()) if (!names.includes(k)) throw new UsageError(`--${k} does not apply to 'corpus ${sub}'`);
  };
  switch (sub) {
    case "check":
      only(["verbose"]);
      return check(dirsOf(rest, io), a.flags.has("verbose"), io);
    case "stats":
      only([]);
      return stats(dirsOf(rest, io), io);
    case "import":
      only(["bugs", "to", "budget", "target"]);
      if (rest.length !== 1) throw new UsageError("corpus import needs exactly one DIR");
      if (a.flags.has("to") && !strFlag(a, "to")) throw new UsageError("--to needs a directory");
      notAFile(strFlag(a, "to"));
      return importCrashes(rest[0]!, strFlag(a, "to") ?? `${DEFAULT_DIR}/regressions`, inputFlags(a), intFlag(a, "budget", DEFAULT_MINIMIZE_BUDGET, 1), io);
    case "merge":
      only(["target", "work-dir", "verbose"]);
      if (rest.length) throw new UsageError(`corpus merge takes no DIR (it merges WORK/<target>/corpus; see --work-dir)`);
      if (a.flags.has("work-dir") && !strFlag(a, "work-dir")) throw new UsageError("--work-dir needs a directory");
      notAFile(strFlag(a, "work-dir"));
      return corpusMerge(a.flags.has("target") ? String(a.flags.get("target")) : undefined, strFlag(a, "work-dir") ?? DEFAULT_WORK_DIR, a.flags.has("verbose"), io);
    default:
      throw new UsageError(sub ? `unknown corpus subcommand '${sub}' (check, stats, import, merge)` : "corpus needs a subcommand: check, stats, import or merge");
  }
}
