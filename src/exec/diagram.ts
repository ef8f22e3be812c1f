// Render a run as a column-per-CPU timeline of labelled preemption points, the way race
// diagrams are drawn in kernel mails (CPU 0 | CPU 1), with the finding marked in the column of
// the CPU where it fired, then a KASAN-style report (what object, allocated where, freed where)
// whose event numbers are spelled out as the program's lines.
import type { TraceEntry } from "../kernel/kernel.js";
import { phaseOf } from "../kernel/phase.js";
import type { Program } from "../program/types.js";
import { printEvent } from "../program/text.js";
import type { Finding } from "../sanitizers/report.js";
import type { Verdict } from "./executor.js";

/** column width: as wide as fits ~120 characters, never narrower than 40 */
function columnWidth(cpus: number): number {
  return Math.max(40, Math.floor((120 - 3 * (cpus - 1)) / cpus));
}
const RULE = "=".repeat(66);

function cell(s: string, w: number): string {
  return s.length > w ? s.slice(0, w - 1) + "…" : s.padEnd(w);
}

/** A label longer than its column goes on in the same column, indented, broken after a space
 *  or punctuation where there is one: nothing is cut off. */
export function wrapCell(s: string, w: number): string[] {
  const out: string[] = [];
  const indent = "        ";
  let rest = s;
  const width = w;
  while (rest.length > width) {
    const head = rest.slice(0, width);
    const sp = Math.max(...[" ", ",", "(", ".", ">", "&"].map((c) => head.lastIndexOf(c)));
    const at = sp > width / 2 ? sp + 1 : width;
    out.push(rest.slice(0, at).trimEnd());
    rest = indent + rest.slice(at);
  }
  out.push(rest);
  return out;
}

/** `[3] t0 exit`, `[drain]`, `[teardown]`, `[boot]` */
export function eventName(p: Program, i: number): string {
  const ev = i >= 0 ? p.events[i] : undefined;
  if (ev) return `[${i}] ${printEvent(ev)}`;
  const phase = phaseOf(i);
  return phase ? `[${phase}]` : `[${i}]`;
}

/** The CPU a finding fired on: its task's last point, else the last point of the run. */
export function findingCpu(f: Finding, trace: readonly TraceEntry[]): number {
  for (let i = trace.length - 1; i >= 0; i--) {
    const e = trace[i]!;
    if (e.cpu >= 0 && (f.task === undefined || e.task === f.task)) return e.cpu;
  }
  return 0;
}

/** The finding as a KASAN/syzbot-style block; `event N` references name the program line. */
export function renderReport(p: Program, f: Finding): string[] {
  const spell = (s: string) =>
    s.replace(/\bevent (-?\d+)/g, (m, n: string) => {
      const i = Number(n);
      const ev = i >= 0 ? p.events[i] : undefined;
      const phase = phaseOf(i);
      return ev ? `${m} (${printEvent(ev)})` : phase ? `${m} (${phase})` : m;
    });
  const out = [RULE, `BUG: ${f.title}`, `kind ${f.kind}, during ${eventName(p, f.event)}${f.task !== undefined ? ` on t${f.task}` : ""}`];
  if (f.stack.length) {
    out.push("Call trace:");
    for (const fr of [...f.stack].reverse()) out.push(`  ${fr}`);
  }
  if (f.report) for (const l of f.report.split("\n")) out.push(spell(l));
  out.push(RULE);
  return out;
}

export function renderDiagram(p: Program, v: Verdict): string {
  const cpus = p.cpus;
  const out: string[] = [];
  const w = columnWidth(cpus);
  out.push(Array.from({ length: cpus }, (_, c) => cell(`CPU ${c}`, w)).join(" | ").trimEnd());
  out.push(Array.from({ length: cpus }, () => "-".repeat(w)).join("-+-"));
  let lastEvent = -99;
  let lastTask = -99;
  const row = (cpu: number, text: string) => {
    for (const piece of wrapCell(text, w)) {
      const cols = Array.from({ length: cpus }, (_, c) => cell(c === cpu ? piece : "", w));
      out.push(cols.join(" | ").trimEnd());
    }
  };
  const trace = v.trace as TraceEntry[];
  for (const e of trace) {
    if (e.event !== lastEvent) {
      lastEvent = e.event;
      lastTask = -99;
      out.push(`  ${eventName(p, e.event)}`);
    }
    if (e.label.startsWith("# ")) {
      out.push(`      ${e.label.slice(2)}`);
      continue;
    }
    const who = e.task >= 0 ? `t${e.task}` : "softirq";
    const text = e.task !== lastTask ? `${who}: ${e.label}` : `    ${e.label}`;
    lastTask = e.task;
    row(Math.max(0, Math.min(cpus - 1, e.cpu)), text);
  }
  for (const f of v.findings) {
    if (f.event !== lastEvent) out.push(`  ${eventName(p, f.event)}`);
    row(Math.min(cpus - 1, findingCpu(f, trace)), `*** ${f.kind} fires here${f.task !== undefined ? ` (t${f.task})` : ""}`);
    out.push(...renderReport(p, f));
  }
  return out.join("\n") + "\n";
}
