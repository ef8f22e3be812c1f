// futex-fuzz corpus check|stats|import: the corpus as a test suite, its shape, and crash intake.
import { existsSync, statSync } from "node:fs";
import { relative, sep } from "node:path";
import { parseBugs } from "../bugs/switches.js";
import { parseCorpusFile, verifyCorpusFile } from "../corpus/file.js";
import { storeRegression } from "../corpus/store.js";
import { listCorpusFiles, listFiles } from "../corpus/walk.js";
import { execute } from "../exec/executor.js";
import { DEFAULT_MINIMIZE_BUDGET } from "../minimize/minimize.js";
import { minimizeFinding } from "../minimize/finding.js";
import { loadProgramFile } from "../program/load.js";
import { EVENT_KINDS, kindOf, type EventKind } from "../program/events.js";
import { signature } from "../sanitizers/report.js";
import { intFlag, parseArgs, strFlag, UsageError } from "./args.js";
import type { Io } from "./main.js";
import { corpusMerge } from "./merge.js";
import { crashTable } from "./target.js";
import { TARGET_EVENTS } from "../program/targets.js";
import { DEFAULT_WORK_DIR } from "../fuzzing/paths.js";

export const CORPUS_HELP = `usage: futex-fuzz corpus check [DIR|FILE...]
       futex-fuzz corpus stats [DIR...]
       futex-fuzz corpus import DIR [--bugs a,b] [--target T] [--to corpus/regressions] [--budget N]
       futex-fuzz corpus merge [--target T[,T...]] [--work-dir DIR] [--verbose]

  check    verify every .fz file (default: corpus/): it parses, its '# expect' lines hold with its
           '# bugs', and it is clean on the fixed kernel (no switches). Bad files are listed
           with path and reason and left in place. Exit 1 if any file is bad.
  stats    count files by directory, signature, expected verdict and group (EVENT_KINDS[].group of
           the events used), and list event kinds no corpus file uses.
  import   bring in crash files (jazzer.js/libFuzzer raw bytes or .fz text) from DIR: minimize
           each finding (--budget N runs, default ${DEFAULT_MINIMIZE_BUDGET}) and store it under --to
           (default corpus/regressions) as <signature>/<hash>.fz, one file per signature and
           switches, smallest kept. Unreadable, empty, binary .fz or huge inputs are reported
           and skipped; no input file is ever modified or deleted. Raw crash bytes are decoded
           with the event table of --target T (the fuzz target that wrote them; default all).
  merge    shrink the fuzzers' byte corpora WORK/<target>/corpus (WORK: --work-dir, default
           .fuzz-out) to the smallest set of inputs that keeps their coverage (libFuzzer
           -merge=1 through jazzer.js, value profile on as in 'futex-fuzz fuzz'), then swap the
           directories; prints the input counts before and after. Default: every target with a
           byte corpus; --target ${Object.keys(TARGET_EVENTS).join("|")} or a comma list. The text corpora
           (corpus/seeds, conformance, regressions) are never touched. Not while that target
           is being fuzzed.

exit status: check: 0 all good, 1 some file bad; import: 0, or 2 if some input was unreadable;
             merge: 0, or 3 if jazzer failed (that corpus is left as it was);
             2 usage error (unknown option, missing directory)
`;

const DEFAULT_DIR = "corpus";

function dirsOf(positional: string[], io: Io): string[] {
  const dirs = positional.length ? positional : [DEFAULT_DIR];
  for (const d of dirs) if (!existsSync(d)) throw new UsageError(`${d}: no such file or directory`);
  void io;
  return dirs;
}

function check(dirs: string[], verbose: boolean, io: Io): number {
  const files = listCorpusFiles(dirs);
  let bad = 0;
  for (const f of files) {
    const r = verifyCorpusFile(f);
    if (r.ok) {
      if (verbose) io.out(`ok   ${f}\n`);
      continue;
    }
    bad++;
    io.out(`BAD  ${f}\n`);
    for (const reason of r.reasons) io.out(`     ${reason.split("\n")[0]}\n`);
  }
  io.out(`${files.length} files checked, ${files.length - bad} ok, ${bad} bad\n`);
  return bad ? 1 : 0;
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

function importCrashes(dir: string, to: string, bugList: string | undefined, budget: number, kinds: readonly EventKind[], io: Io): number {
  const bugs = parseBugs(bugList);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a directory`);
  let unreadable = 0;
  const counts = { added: 0, duplicate: 0, clean: 0 };
  for (const f of listFiles(dir)) {
    let program;
    try {
      if (statSync(f).size === 0) throw new Error(`${f}: empty file`);
      program = loadProgramFile(f, { allowBytes: true, kinds }).program;
    } catch (e) {
      unreadable++;
      io.err(`skip ${(e as Error).message}\n`);
      continue;
    }
    const r = minimizeFinding(program, { bugs, budget });
    if (!r) {
      counts.clean++;
      io.out(`clean      ${f}: no finding${bugs.size ? ` with --bugs ${[...bugs].join(",")}` : ""}\n`);
      continue;
    }
    const sig = signature(r.finding);
    const s = storeRegression(to, r.program, r.finding, [...bugs]);
    const how = `${program.events.length} -> ${r.program.events.length} events, ${r.executions} executions${r.exhausted ? ", budget exhausted" : ""}`;
    if (s.added) {
      counts.added++;
      io.out(`added      ${s.path} (${sig}) from ${f}: ${how}\n`);
      for (const old of s.replaced ?? []) io.out(`           replaced larger ${old}\n`);
      if (bugs.size && execute(r.program).findings.length) io.out(`           note: also fires with no switches: 'corpus check' will flag it\n`);
    } else {
      counts.duplicate++;
      io.out(`duplicate  ${f} (${sig}): already covered by ${s.duplicateOf}\n`);
    }
  }
  io.out(`${counts.added} added, ${counts.duplicate} duplicates, ${counts.clean} without a finding, ${unreadable} unreadable\n`);
  return unreadable ? 2 : 0;
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
      return importCrashes(rest[0]!, strFlag(a, "to") ?? `${DEFAULT_DIR}/regressions`, strFlag(a, "bugs"), intFlag(a, "budget", DEFAULT_MINIMIZE_BUDGET, 1), crashTable(a), io);
    case "merge":
      only(["target", "work-dir", "verbose"]);
      if (rest.length) throw new UsageError(`corpus merge takes no DIR (it merges WORK/<target>/corpus; see --work-dir)`);
      if (a.flags.has("work-dir") && !strFlag(a, "work-dir")) throw new UsageError("--work-dir needs a directory");
      return corpusMerge(a.flags.has("target") ? String(a.flags.get("target")) : undefined, strFlag(a, "work-dir") ?? DEFAULT_WORK_DIR, a.flags.has("verbose"), io);
    default:
      throw new UsageError(sub ? `unknown corpus subcommand '${sub}' (check, stats, import, merge)` : "corpus needs a subcommand: check, stats, import or merge");
  }
}
