// futex-fuzz minimize FILE [--bugs a,b] [--target T] [-o OUT.fz] [--budget N]
import { basename } from "node:path";
import { parseBugs } from "../bugs/switches.js";
import { formatCorpusFile, parseCorpusFile } from "../corpus/file.js";
import { writeAtomic } from "../corpus/store.js";
import { renderDiagram } from "../exec/diagram.js";
import { execute } from "../exec/executor.js";
import { DEFAULT_MINIMIZE_BUDGET } from "../minimize/minimize.js";
import { minimizeFinding } from "../minimize/finding.js";
import { loadProgramFile } from "../program/load.js";
import { signature } from "../sanitizers/report.js";
import { intFlag, parseArgs, strFlag, UsageError } from "./args.js";
import type { Io } from "./main.js";
import { crashTable, TARGET_FLAG_HELP } from "./target.js";

export const MINIMIZE_HELP = `usage: futex-fuzz minimize FILE [--bugs a,b] [--target T] [-o OUT.fz] [--budget N]

Minimize the first finding of a program while keeping its signature (kind:top frame): ddmin
over events, then @k stops, CPUs, tasks, arguments, and canonical names. FILE is a jazzer.js /
libFuzzer crash file (raw bytes, decoded with the byte codec) or a .fz program.

The minimized program is written as a corpus file (header with title, signature, bugs and
'# expect finding KIND') to OUT, or to stdout without -o. The race diagram of the minimized run
and the number of executions used go to stderr.

  --bugs a,b    bug switches to run with (default: the file's '# bugs' header, else none)
${TARGET_FLAG_HELP}
  -o, --out F   write the result to F (atomically) instead of stdout
  --budget N    at most N simulator runs (default ${DEFAULT_MINIMIZE_BUDGET})

exit status: 1 finding minimized, 0 the program has no finding (nothing written),
             2 usage error or unreadable input
`;

export function minimizeCommand(argv: string[], io: Io): number {
  const a = parseArgs(argv, { bugs: { value: true }, target: { value: true }, out: { value: true }, budget: { value: true }, help: { value: false } }, { "-h": "--help", "-o": "--out" });
  if (a.flags.has("help")) return io.out(MINIMIZE_HELP), 0;
  if (a.positional.length !== 1) throw new UsageError("minimize needs exactly one FILE");
  const path = a.positional[0]!;
  const budget = intFlag(a, "budget", DEFAULT_MINIMIZE_BUDGET, 1);
  const loaded = loadProgramFile(path, { allowBytes: true, kinds: crashTable(a) });
  const header = loaded.form === "text" ? parseCorpusFile(loaded.text!, path) : null;
  const bugList = strFlag(a, "bugs") ?? header?.bugs.join(",") ?? "";
  const bugs = parseBugs(bugList);
  const r = minimizeFinding(loaded.program, { bugs, budget });
  if (!r) {
    io.err(`${path}: no finding${bugs.size ? ` with --bugs ${[...bugs].join(",")}` : " on the fixed kernel"}; nothing to minimize\n`);
    return 0;
  }
  const sig = signature(r.finding);
  const n = loaded.program.events.length;
  const m = r.program.events.length;
  const summary = `minimized ${n} -> ${m} events in ${r.executions} executions${r.exhausted ? ` (budget ${budget} exhausted: may not be minimal)` : ""}`;
  const text = formatCorpusFile({
    program: r.program,
    title: r.finding.title,
    signature: sig,
    bugs: [...bugs],
    expects: [{ kind: "finding", kinds: [r.finding.kind] }],
    comment: `${summary}, from ${basename(path)}`,
  });
  const v = execute(r.program, { bugs, trace: true });
  io.err(renderDiagram(r.program, v));
  const out = strFlag(a, "out");
  if (out) {
    writeAtomic(out, text);
    io.err(`${sig}: ${summary}; wrote ${out}\n`);
  } else {
    io.out(text);
    io.err(`${sig}: ${summary}\n`);
  }
  if (execute(r.program).findings.length && bugs.size)
    io.err(`note: it also fires with no bug switches (a bug in the fixed kernel model): 'corpus check' will flag it\n`);
  return 1;
}
