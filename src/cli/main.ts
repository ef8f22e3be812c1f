// futex-fuzz: command dispatch. Each command lives in its own file and has --help. Every error
// ends as one line on stderr and an exit status of the contract in exit.ts; never a stack trace
// (FUTEX_FUZZ_DEBUG=1 adds it for a harness failure).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ParseError } from "../program/text.js";
import { fsCause, ProgramFileError } from "../program/load.js";
import { UnknownBugError } from "../bugs/switches.js";
import { PROJECT_ROOT } from "../fuzzing/paths.js";
import { LockError } from "../fuzzing/lock.js";
import { UsageError } from "./args.js";
import { EXIT, EXIT_HELP } from "./exit.js";
import { runCommand } from "./run.js";
import { bugsCommand } from "./bugs.js";
import { fuzzCommand } from "./fuzz.js";
import { minimizeCommand } from "./minimize.js";
import { corpusCommand } from "./corpus.js";
import { reportCommand } from "./report.js";
import { kernelDiffCommand } from "./kernel-diff.js";
import { cCommand } from "./c.js";

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export type Command = (argv: string[], io: Io) => number | Promise<number>;

export const COMMANDS: Record<string, { run: Command; summary: string }> = {
  run: { run: runCommand, summary: "run one program and print its verdict" },
  fuzz: { run: fuzzCommand, summary: "fuzz with jazzer.js; minimize and store findings as regressions" },
  minimize: { run: minimizeCommand, summary: "minimize a crash file or program, keeping its finding's signature" },
  corpus: { run: corpusCommand, summary: "check, count, import or merge corpus files (check | stats | import | merge)" },
  bugs: { run: bugsCommand, summary: "list the historical bug switches" },
  report: { run: reportCommand, summary: "write an HTML page: a campaign's progress charts and each finding's race as a timeline" },
  "kernel-diff": { run: kernelDiffCommand, summary: "diff programs between the simulator and the running Linux kernel" },
  c: { run: cCommand, summary: "write a standalone C reproducer of a program (cc -pthread)" },
};

export function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8"));
  return typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string" ? pkg.version : "unknown";
}

export function usage(): string {
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length));
  return [
    "usage: futex-fuzz COMMAND [options]   (futex-fuzz COMMAND --help for details)",
    "       futex-fuzz --version",
    "",
    ...names.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n]!.summary}`),
    "",
    "limits: 16 tasks (t0..t15), 16 regions (m0..m15), 8 files, 8 CPUs per program; @k and step",
    "        counts up to 1000; program files up to 1 MiB; raw bytes decode to at most 256 events;",
    "        a run stops after 100,000 preemption points (no verdict, exit 3). See docs/format.md.",
    EXIT_HELP,
    "",
  ].join("\n");
}

/** stdout that goes quiet when its reader goes away (`futex-fuzz run --trace | head -1`) */
function processIo(): Io {
  let closed = false;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    closed = true;
  });
  return { out: (s) => void (closed || process.stdout.write(s)), err: (s) => void process.stderr.write(s) };
}

/** the one-line message and status of an error a command threw */
export function describeError(e: unknown): { status: number; message: string } {
  if (e instanceof UsageError || e instanceof UnknownBugError || e instanceof ParseError || e instanceof ProgramFileError || e instanceof LockError)
    return { status: EXIT.usage, message: e.message };
  const fs = fsCause(e);
  if (fs) return { status: EXIT.usage, message: fs };
  const msg = e instanceof Error ? e.message.split("\n")[0]! : String(e);
  const debug = process.env.FUTEX_FUZZ_DEBUG && e instanceof Error ? `\n${e.stack}` : " (FUTEX_FUZZ_DEBUG=1 prints the stack)";
  return { status: EXIT.harness, message: `internal error: ${msg}${debug}` };
}

export async function main(argv: string[], io?: Io): Promise<number> {
  const out = io ?? processIo();
  const [cmd, ...rest] = argv;
  if (cmd === "--version" || cmd === "-V") {
    out.out(`futex-fuzz ${version()}\n`);
    return EXIT.clean;
  }
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    out.out(usage());
    return cmd ? EXIT.clean : EXIT.usage;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    out.err(`futex-fuzz: unknown command '${cmd}'\n${usage()}`);
    return EXIT.usage;
  }
  try {
    return await c.run(rest, out);
  } catch (e) {
    const { status, message } = describeError(e);
    out.err(`futex-fuzz ${cmd}: ${message}\n`);
    return status;
  }
}
