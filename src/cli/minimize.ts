// futex-fuzz minimize FILE [--bugs a,b] [--target T] [-o OUT.fz] [--budget N]
import { finish, triage } from "../corpus/intake.js";
import { resolveInput } from "../corpus/input.js";
import { formatOutcome, isFinding, outcomeStatus } from "../corpus/outcome.js";
import { DEFAULT_MINIMIZE_BUDGET } from "../minimize/minimize.js";
import { displayPath } from "../fuzzing/paths.js";
import { intFlag, parseArgs, strFlag, UsageError } from "./args.js";
import { EXIT_HELP } from "./exit.js";
import type { Io } from "./main.js";
import { inputFlags, TARGET_FLAG_HELP } from "./target.js";

export const MINIMIZE_HELP = `usage: futex-fuzz minimize FILE [--bugs a,b] [--target T] [-o OUT.fz] [--budget N]

Minimize the first finding of a program while keeping its signature (kind:top frame): ddmin
over events, then @k stops, CPUs, tasks, arguments, and canonical names. FILE is a jazzer.js /
libFuzzer crash file (raw bytes, decoded with the byte codec) or a .fz program.

The minimized program is written as a corpus file (header with title, signature, bugs and
'# expect finding KIND') to OUT, or to stdout without -o. The finding block (input, minimized
size, where it went, the race diagram) goes to stderr: the same block 'futex-fuzz fuzz' and
'corpus import' print.

  --bugs a,b    bug switches to run with (default: the file's '# bugs' header; for raw bytes
                the sidecar <FILE>.json a campaign wrote; else none)
${TARGET_FLAG_HELP}
  -o, --out F   write the result to F (atomically; its directory is created) instead of stdout
  --budget N    at most N simulator runs (default ${DEFAULT_MINIMIZE_BUDGET})

${EXIT_HELP}
  (1: a finding was minimized; 0: the program has no finding, nothing written, and the message
  says which switches and event table were used)
`;

export function minimizeCommand(argv: string[], io: Io): number {
  const a = parseArgs(argv, { bugs: { value: true }, target: { value: true }, out: { value: true }, budget: { value: true }, help: { value: false } }, { "-h": "--help", "-o": "--out" });
  if (a.flags.has("help")) return io.out(MINIMIZE_HELP), 0;
  if (a.positional.length !== 1) throw new UsageError("minimize needs exactly one FILE");
  const path = a.positional[0]!;
  const budget = intFlag(a, "budget", DEFAULT_MINIMIZE_BUDGET, 1);
  const out = strFlag(a, "out");
  if (a.flags.has("out") && !out) throw new UsageError("-o needs a file name");
  const input = resolveInput(path, inputFlags(a));
  const o = finish(triage(input), { dest: out ? { file: out } : { none: true }, budget });
  if (o.kind === "clean") {
    io.err(`${path}: no finding (${o.input}); nothing to minimize\n  ${o.hint}\n`);
    return 0;
  }
  io.err(formatOutcome(o, { rel: displayPath, noReproducer: !out }));
  if (isFinding(o) && !out) io.out(o.text);
  return outcomeStatus(o);
}
