// futex-fuzz bugs [--json]: the historical bug switches.
import { BUGS } from "../bugs/registry.js";
import { parseArgs, UsageError } from "./args.js";
import type { Io } from "./main.js";

export const BUGS_HELP = `usage: futex-fuzz bugs [--json]

List the historical futex bugs that can be switched back on (run --bugs a,b; fuzz targets read
FUTEX_FUZZ_BUGS=a,b): id, title, introducing and fixing commit, the finding kinds expected to
fire, and the mechanism. Each switch restores the historical code path at one seam.
`;

function wrap(text: string, width: number, indent: string): string {
  const out: string[] = [];
  let line = "";
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(indent + line);
  return out.join("\n");
}

export function bugsCommand(argv: string[], io: Io): number {
  const a = parseArgs(argv, { json: { value: false }, help: { value: false } }, { "-h": "--help" });
  if (a.flags.has("help")) return io.out(BUGS_HELP), 0;
  if (a.positional.length) throw new UsageError(`unexpected argument '${a.positional[0]}'`);
  const rows = BUGS.map(({ seams, ...info }) => ({ ...info, seams: Object.keys(seams) }));
  if (a.flags.has("json")) {
    io.out(JSON.stringify(rows, null, 2) + "\n");
    return 0;
  }
  for (const b of rows) {
    io.out(`${b.id}\n  ${b.title}\n  introduced: ${b.introduced}\n  fixed:      ${b.fixed}\n  expect:     ${b.expect.join(" | ")}\n  seam:       ${b.seams.join(", ")}\n`);
    io.out(wrap(b.mechanism, 92, "  ") + "\n");
    if (b.inferred) io.out(wrap(`inferred: ${b.inferred}`, 92, "  ") + "\n");
    io.out("\n");
  }
  return 0;
}
