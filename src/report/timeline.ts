// A traced run as an SVG timeline: one horizontal lane per CPU, time running left to right one
// preemption point per step. Each point is a mark coloured by the task that ran it (its label on
// hover), runs of one task carry its name, a band on top groups the points by program event,
// and a red mark shows the CPU where the sanitizer fired. The data is the executor's trace, read
// the way the text diagram (src/exec/diagram.ts) reads it.
import type { TraceEntry } from "../kernel/kernel.js";
import type { Program } from "../program/types.js";
import { eventName, findingCpu } from "../exec/diagram.js";
import { phaseOf } from "../kernel/phase.js";
import type { Verdict } from "../exec/executor.js";
import { esc, num } from "./html.js";

const LABEL_W = 64;
const BAND_Y = 6;
const BAND_H = 20;
const TOP = 34;
const LANE_H = 46;
const BAR_Y = 17;
const BAR_H = 20;
const TAIL = 210;

/** task colours (the finding's red is kept for the finding) */
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#86bcb6", "#d4a6c8"];
const SOFTIRQ = "#8c959f";

export function taskColor(task: number): string {
  return task < 0 ? SOFTIRQ : PALETTE[task % PALETTE.length]!;
}

export const taskName = (task: number): string => (task >= 0 ? `t${task}` : "softirq");

/** Notes the executor writes into the trace (a skipped event) are not preemption points. */
export const isNote = (e: TraceEntry): boolean => e.label.startsWith("# ");

export interface TimelinePoint {
  entry: TraceEntry;
  lane: number;
}

/** The preemption points of a traced run and the lane (CPU) each is drawn in. */
export function timelinePoints(p: Program, v: Verdict): TimelinePoint[] {
  return v.trace.filter((e) => !isNote(e)).map((entry) => ({ entry, lane: Math.max(0, Math.min(p.cpus - 1, entry.cpu)) }));
}

/** Consecutive points of one program event: [event index, first point, end (exclusive)]. */
export function eventGroups(pts: readonly TimelinePoint[]): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  pts.forEach((pt, i) => {
    const g = out[out.length - 1];
    if (g && g[0] === pt.entry.event) g[2] = i + 1;
    else out.push([pt.entry.event, i, i + 1]);
  });
  return out;
}

function shortEvent(i: number): string {
  return phaseOf(i) ?? String(i);
}

/** points drawn at most: a run that spins for the whole step budget shows its last ones */
export const MAX_TIMELINE_POINTS = 1500;

export function timelineSvg(p: Program, v: Verdict): string {
  const all = timelinePoints(p, v);
  const omitted = Math.max(0, all.length - MAX_TIMELINE_POINTS);
  const pts = all.slice(omitted);
  const n = pts.length;
  const step = Math.max(6, Math.min(18, Math.floor(1000 / Math.max(1, n))));
  const lanesBottom = TOP + p.cpus * LANE_H;
  const tasks = [...new Set(pts.map((pt) => pt.entry.task))].sort((a, b) => (a < 0 ? 1 : b < 0 ? -1 : a - b));
  const legendY = lanesBottom + 22;
  const legendText = `${all.length} preemption points${omitted ? ` (the first ${omitted} not drawn)` : ""}; hover a mark for its label`;
  const legendW = tasks.reduce((w, t) => w + 28 + taskName(t).length * 7, 0) + 6 + legendText.length * 6;
  const width = Math.max(LABEL_W + n * step + TAIL, LABEL_W + legendW + 10);
  const height = legendY + 12;
  const X = (i: number) => LABEL_W + i * step;
  const laneTop = (c: number) => TOP + c * LANE_H;
  const o: string[] = [];
  o.push(
    `<svg class="race-timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(`timeline: ${p.cpus} CPU lanes, ${n} preemption points`)}">`,
  );
  // program events, as a band on top and faint separators through the lanes
  eventGroups(pts).forEach(([ev, a, b], k) => {
    const x = X(a);
    const w = (b - a) * step;
    const label = shortEvent(ev);
    o.push(`<g class="ev" data-event="${ev}"><title>${esc(eventName(p, ev))}</title>`);
    o.push(`<rect x="${x}" y="${BAND_Y}" width="${w}" height="${BAND_H}" fill="${k % 2 ? "#dde4ee" : "#eef2f7"}"/>`);
    if (label.length * 7 + 6 <= w) o.push(`<text x="${num(x + w / 2)}" y="${BAND_Y + 14}" font-size="11" text-anchor="middle" fill="#424a53">${esc(label)}</text>`);
    o.push(`</g>`);
    o.push(`<line x1="${x}" x2="${x}" y1="${BAND_Y}" y2="${lanesBottom}" stroke="#d0d7de" stroke-width="1"/>`);
  });
  o.push(`<text x="6" y="${BAND_Y + 14}" font-size="11" fill="#656d76">event</text>`);
  for (let c = 0; c < p.cpus; c++) {
    const y = laneTop(c);
    o.push(`<g class="lane" data-cpu="${c}">`);
    o.push(`<rect x="0" y="${y}" width="${width}" height="${LANE_H}" fill="${c % 2 ? "#f6f8fa" : "#ffffff"}" fill-opacity="0.7"/>`);
    o.push(`<text x="8" y="${y + BAR_Y + 14}" font-size="12" font-weight="600" fill="#1f2328">CPU ${c}</text>`);
    let run = -1;
    pts.forEach((pt, i) => {
      if (pt.lane !== c) return;
      const e = pt.entry;
      const color = taskColor(e.task);
      o.push(
        `<rect class="pt" data-task="${e.task}" x="${X(i)}" y="${y + BAR_Y}" width="${step - 1}" height="${BAR_H}" rx="2" fill="${color}"><title>${esc(`${taskName(e.task)}: ${e.label}\n${eventName(p, e.event)}`)}</title></rect>`,
      );
      // the task's name over each run of its points on this CPU, when there is room
      const prev = pts[i - 1];
      if (run < 0 || !prev || prev.lane !== c || prev.entry.task !== e.task) run = i;
      const next = pts[i + 1];
      const runEnds = !next || next.lane !== c || next.entry.task !== e.task;
      const name = taskName(e.task);
      if (runEnds && (i + 1 - run) * step >= name.length * 6 + 2)
        o.push(`<text x="${X(run) + 1}" y="${y + BAR_Y - 4}" font-size="10" fill="${color}" font-weight="600">${esc(name)}</text>`);
    });
    o.push(`</g>`);
  }
  // where the sanitizer fired: after the last point, on the CPU the text diagram names
  const fx = X(n) + 10;
  v.findings.forEach((f, k) => {
    const c = Math.min(p.cpus - 1, findingCpu(f, v.trace));
    const cy = laneTop(c) + BAR_Y + BAR_H / 2 + k * 4;
    const who = f.task !== undefined ? ` (t${f.task})` : "";
    o.push(`<g class="fired" data-cpu="${c}"><title>${esc(`${f.title}\n${f.kind} fires here${who}, during ${eventName(p, f.event)}`)}</title>`);
    o.push(`<line x1="${fx}" x2="${fx}" y1="${BAND_Y}" y2="${lanesBottom}" stroke="#cf222e" stroke-width="2" stroke-dasharray="4 3"/>`);
    o.push(`<path d="M${fx} ${cy - 9} L${fx + 9} ${cy} L${fx} ${cy + 9} L${fx - 9} ${cy} Z" fill="#cf222e"/>`);
    o.push(`<text x="${fx + 14}" y="${cy + 4}" font-size="12" font-weight="600" fill="#cf222e">${esc(`${f.kind} fires here${who}`)}</text>`);
    o.push(`</g>`);
  });
  // legend: one swatch per task
  let lx = LABEL_W;
  for (const t of tasks) {
    const name = taskName(t);
    o.push(`<rect x="${lx}" y="${legendY - 9}" width="10" height="10" rx="2" fill="${taskColor(t)}"/>`);
    o.push(`<text x="${lx + 14}" y="${legendY}" font-size="11" fill="#424a53">${esc(name)}</text>`);
    lx += 14 + name.length * 7 + 14;
  }
  o.push(`<text x="${lx + 6}" y="${legendY}" font-size="11" fill="#656d76">${esc(legendText)}</text>`);
  o.push("</svg>");
  return o.join("");
}
