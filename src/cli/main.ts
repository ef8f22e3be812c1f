// futex-fuzz: command dispatch. Each command lives in its own file and has --help.
import { ParseError } from "../program/text.js";
import { ProgramFileError } from "../program/load.js";
import { UnknownBugError } from "../bugs/switches.js";
import { UsageError } from "./args.js";
import { runCommand } from "./run.js";
import { bugsCommand } from "./bugs.js";
import { fuzzCommand } from "./fuzz.js";
import { minimizeCommand } from "./minimize.js";
import { corpusCommand } from "./corpus.js";
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
  "kernel-diff": { run: kernelDiffCommand, summary: "diff programs between the simulator and the running Linux kernel" },
  c: { run: cCommand, summary: "write a standalone C reproducer of a program (cc -pthread)" },
};

export function usage(): string {
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length));
  return [
    "usage: futex-fuzz COMMAND [options]   (futex-fuzz COMMAND --help for details)",
    "",
    ...names.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n]!.summary}`),
    "",
  ].join("\n");
}

const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    io.out(usage());
    return cmd ? 0 : 2;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    io.err(`futex-fuzz: unknown command '${cmd}'\n${usage()}`);
    return 2;
  }
  try {
    return await c.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof UnknownBugError) {
      io.err(`futex-fuzz ${cmd}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ParseError || e instanceof ProgramFileError) {
      io.err(`futex-fuzz ${cmd}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
