// Render a run as a column-per-CPU timeline of labelled preemption points, the way race
// diagrams are drawn in kernel mails (CPU 0 | CPU 1), with the finding marked where it fired.
import type { TraceEntry } from "../kernel/kernel.js";
import type { Program } from "../program/types.js";
import { printEvent } from "../program/text.js";
import type { Verdict } from "./executor.js";

const COL = 46;

function cell(s: string): string {
  return s.length > COL ? s.slice(0, COL - 1) + "…" : s.padEnd(COL);
}

export function renderDiagram(p: Program, v: Verdict): string {
  const cpus = p.cpus;
  const out: string[] = [];
  out.push(Array.from({ length: cpus }, (_, c) => cell(`CPU ${c}`)).join(" | ").trimEnd());
  out.push(Array.from({ length: cpus }, () => "-".repeat(COL)).join("-+-"));
  let lastEvent = -99;
  let lastTask = -99;
  const row = (cpu: number, text: string) => {
    const cols = Array.from({ length: cpus }, (_, c) => cell(c === cpu ? text : ""));
    out.push(cols.join(" | ").trimEnd());
  };
  for (const e of v.trace as TraceEntry[]) {
    if (e.event !== lastEvent) {
      lastEvent = e.event;
      lastTask = -99;
      const ev = e.event >= 0 ? p.events[e.event] : undefined;
      out.push(ev ? `  [${e.event}] ${printEvent(ev)}` : e.event === -1 ? "  [drain]" : e.event === -2 ? "  [teardown]" : "  [boot]");
    }
    if (e.label.startsWith("# ")) {
      out.push(`      ${e.label.slice(2)}`);
      continue;
    }
    const who = e.task >= 0 ? `t${e.task}` : "softirq";
    const text = e.task !== lastTask ? `${who}: ${e.label}` : `    ${e.label}`;
    lastTask = e.task;
    row(Math.max(0, e.cpu), text);
  }
  for (const f of v.findings) {
    out.push(`  >>> ${f.title}`);
    if (f.stack.length) out.push(`      stack: ${[...f.stack].reverse().join(" <- ")}`);
    if (f.report) for (const l of f.report.split("\n")) out.push(`      ${l}`);
  }
  return out.join("\n") + "\n";
}
