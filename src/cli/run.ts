// futex-fuzz run FILE [--bugs a,b] [--target T] [--json] [--trace]
import { execute, type Verdict } from "../exec/executor.js";
import { renderDiagram } from "../exec/diagram.js";
import { describeInput, noFindingHint, resolveInput } from "../corpus/input.js";
import { signature } from "../sanitizers/report.js";
import { parseArgs, UsageError } from "./args.js";
import { EXIT, EXIT_HELP } from "./exit.js";
import type { Io } from "./main.js";
import { inputFlags, TARGET_FLAG_HELP } from "./target.js";

export const RUN_HELP = `usage: futex-fuzz run FILE [--bugs a,b] [--target T] [--json] [--trace]

Run one program (canonical text, or raw fuzzer bytes) on the simulated kernel and print each
syscall's return value and the findings.

  --bugs a,b   switch historical bugs back on (see 'futex-fuzz bugs'); default: the file's
               '# bugs' header, else (raw bytes) the sidecar <FILE>.json a campaign wrote, else none
${TARGET_FLAG_HELP}
  --json       print one JSON object {verdict, findings, syscalls} (with trace when --trace);
               verdict is "clean", "finding" or "no-verdict" (step budget exhausted)
  --trace      print the per-CPU timeline of preemption points

A run stops after 100,000 preemption points: that is no verdict (exit 3), not "clean".

${EXIT_HELP}
`;

export function formatRet(ret: number | null): string {
  if (ret === null) return "(no return)";
  return ret >= 0x10000 ? `0x${ret.toString(16)}` : String(ret);
}

export function formatVerdict(v: Verdict): string {
  const lines = v.syscalls.map((s) => `t${s.task} ${s.event} = ${formatRet(s.ret)}`);
  if (v.findings.length === 0)
    lines.push(v.stats.limit ? `no verdict: step budget exhausted after ${v.stats.points} preemption points (the limit; a harness limit, not clean)` : "clean");
  for (const f of v.findings) {
    lines.push(`FINDING ${f.kind}: ${f.title}`);
    lines.push(`  signature: ${signature(f)}`);
    lines.push(`  at event ${f.event}${f.task !== undefined ? ` on t${f.task}` : ""}`);
    if (f.stack.length) lines.push(`  stack: ${[...f.stack].reverse().join(" <- ")}`);
    if (f.report) for (const l of f.report.split("\n")) lines.push(`  ${l}`);
  }
  return lines.join("\n") + "\n";
}

export function verdictStatus(v: Verdict): number {
  return v.findings.length ? EXIT.finding : v.stats.limit ? EXIT.harness : EXIT.clean;
}

export function runCommand(argv: string[], io: Io): number {
  const a = parseArgs(argv, { bugs: { value: true }, target: { value: true }, json: { value: false }, trace: { value: false }, help: { value: false } }, { "-h": "--help" });
  if (a.flags.has("help")) return io.out(RUN_HELP), 0;
  if (a.positional.length !== 1) throw new UsageError("run needs exactly one FILE");
  const input = resolveInput(a.positional[0]!, inputFlags(a));
  const { program, bugs } = input;
  const trace = a.flags.has("trace");
  const v = execute(program, { bugs, trace });
  const status = verdictStatus(v);
  if (a.flags.has("json")) {
    const o: Record<string, unknown> = { findings: v.findings, syscalls: v.syscalls };
    if (status === EXIT.harness) o.noVerdict = { reason: "step budget exhausted", points: v.stats.points };
    if (trace) o.trace = v.trace;
    io.out(JSON.stringify(o) + "\n");
  } else {
    if (trace) io.out(renderDiagram(program, v));
    io.out(formatVerdict(v));
  }
  if (status === EXIT.clean && (input.form === "bytes" || input.bugsFrom !== "none"))
    io.err(`(${describeInput(input)}${input.form === "bytes" ? `; ${noFindingHint(input)}` : ""})\n`);
  return status;
}
