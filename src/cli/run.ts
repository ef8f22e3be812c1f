// futex-fuzz run FILE [--bugs a,b] [--target T] [--json] [--trace]
import { parseBugs } from "../bugs/switches.js";
import { execute, type Verdict } from "../exec/executor.js";
import { renderDiagram } from "../exec/diagram.js";
import { loadProgramFile } from "../program/load.js";
import { signature } from "../sanitizers/report.js";
import { parseArgs, strFlag, UsageError } from "./args.js";
import type { Io } from "./main.js";
import { crashTable, TARGET_FLAG_HELP } from "./target.js";

export const RUN_HELP = `usage: futex-fuzz run FILE [--bugs a,b] [--target T] [--json] [--trace]

Run one program (canonical text, or raw fuzzer bytes) on the simulated kernel and print each
syscall's return value and the findings.

  --bugs a,b   switch historical bugs back on (see 'futex-fuzz bugs')
${TARGET_FLAG_HELP}
  --json       print one JSON object {findings, syscalls} (with trace when --trace)
  --trace      print the per-CPU timeline of preemption points

exit status: 0 clean, 1 finding, 2 usage error or unreadable input
`;

export function formatRet(ret: number | null): string {
  if (ret === null) return "(no return)";
  return ret >= 0x10000 ? `0x${ret.toString(16)}` : String(ret);
}

export function formatVerdict(v: Verdict): string {
  const lines = v.syscalls.map((s) => `t${s.task} ${s.event} = ${formatRet(s.ret)}`);
  if (v.stats.limit) lines.push(`harness limit: step budget exhausted after ${v.stats.points} points (no verdict)`);
  if (v.findings.length === 0) lines.push("clean");
  for (const f of v.findings) {
    lines.push(`FINDING ${f.kind}: ${f.title}`);
    lines.push(`  signature: ${signature(f)}`);
    lines.push(`  at event ${f.event}${f.task !== undefined ? ` on t${f.task}` : ""}`);
    if (f.stack.length) lines.push(`  stack: ${[...f.stack].reverse().join(" <- ")}`);
    if (f.report) for (const l of f.report.split("\n")) lines.push(`  ${l}`);
  }
  return lines.join("\n") + "\n";
}

export function runCommand(argv: string[], io: Io): number {
  const a = parseArgs(argv, { bugs: { value: true }, target: { value: true }, json: { value: false }, trace: { value: false }, help: { value: false } }, { "-h": "--help" });
  if (a.flags.has("help")) return io.out(RUN_HELP), 0;
  if (a.positional.length !== 1) throw new UsageError("run needs exactly one FILE");
  const bugs = parseBugs(strFlag(a, "bugs"));
  const { program } = loadProgramFile(a.positional[0]!, { allowBytes: true, kinds: crashTable(a) });
  const trace = a.flags.has("trace");
  const v = execute(program, { bugs, trace });
  if (a.flags.has("json")) {
    const o: Record<string, unknown> = { findings: v.findings, syscalls: v.syscalls };
    if (trace) o.trace = v.trace;
    io.out(JSON.stringify(o) + "\n");
  } else {
    if (trace) io.out(renderDiagram(program, v));
    io.out(formatVerdict(v));
  }
  return v.findings.length ? 1 : 0;
}
