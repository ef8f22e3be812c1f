// futex-fuzz c FILE [-o OUT.c]
import { cReproducer } from "../host/c-repro.js";
import { resolveInput } from "../corpus/input.js";
import { writeAtomic } from "../corpus/atomic.js";
import { parseArgs, strFlag, UsageError } from "./args.js";
import type { Io } from "./main.js";
import { inputFlags, TARGET_FLAG_HELP } from "./target.js";

export const C_HELP = `usage: futex-fuzz c FILE [-o OUT.c] [--target T]

Write a standalone C reproducer of a program (typically a minimized finding): the native runner
(native/futex-runner.c) with the program built in. Build it with 'cc -pthread -o repro OUT.c' and
run it as root on the kernel under test; it prints each call's return value and the final words.
Events a real CPU cannot replay exactly (@k stops, step, irq, fail_alloc) become comments with
the nearest real-world way to provoke them (racing threads in loops, fault injection knobs).

  -o OUT.c     write the reproducer there (default: standard output)
${TARGET_FLAG_HELP}

exit status: 0 written, 2 usage error or unreadable input
`;

export function cCommand(argv: string[], io: Io): number {
  const a = parseArgs(argv, { out: { value: true }, target: { value: true }, help: { value: false } }, { "-h": "--help", "-o": "--out" });
  if (a.flags.has("help")) return io.out(C_HELP), 0;
  if (a.positional.length !== 1) throw new UsageError("c needs exactly one FILE");
  const path = a.positional[0]!;
  // raw crash bytes decode with the table --target, the artifact's path or its sidecar names
  const r = resolveInput(path, inputFlags(a));
  const text = cReproducer(r.program, r.header?.title);
  const out = strFlag(a, "out");
  if (out) writeAtomic(out, text);
  else io.out(text);
  return 0;
}
