// Small SVG line charts for a campaign's progress over time (coverage, features, corpus size,
// execs/s), with the times of its findings as marks.
import { fmtInt, fmtSecs } from "../fuzzing/progress.js";
import { esc, num } from "./html.js";

export interface ChartPoint {
  /** seconds */
  x: number;
  y: number;
}

export interface ChartMark {
  /** seconds */
  x: number;
  title: string;
}

const W = 316;
const H = 170;
const PAD = { l: 56, r: 14, t: 28, b: 26 };
/** more points than this are thinned (evenly, first and last kept): the chart is ~270 px wide */
export const MAX_CHART_POINTS = 400;
/** dots with hover titles on every point up to this many */
const DOTS = 80;

/** 1, 2 or 5 times a power of ten, at least n (n > 0). */
export function niceCeil(n: number): number {
  if (n <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/** At most `max` points, evenly spaced by index, always keeping the first and the last. */
export function thin<T>(pts: readonly T[], max = MAX_CHART_POINTS): T[] {
  if (pts.length <= max) return [...pts];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(pts[Math.round((i * (pts.length - 1)) / (max - 1))]!);
  return out;
}

export function lineChart(title: string, data: readonly ChartPoint[], marks: readonly ChartMark[] = []): string {
  const pts = thin(data);
  const xMax = Math.max(1, ...pts.map((p) => p.x), ...marks.map((m) => m.x));
  const yMax = niceCeil(Math.max(2, ...pts.map((p) => p.y)));
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const X = (x: number) => PAD.l + (x / xMax) * iw;
  const Y = (y: number) => PAD.t + ih - (y / yMax) * ih;
  const last = pts[pts.length - 1];
  const o: string[] = [];
  o.push(`<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`);
  o.push(`<text x="${PAD.l}" y="17" font-size="13" font-weight="600" fill="#1f2328">${esc(title)}</text>`);
  if (last) o.push(`<text x="${W - PAD.r}" y="17" font-size="12" text-anchor="end" fill="#656d76">now ${esc(fmtInt(last.y))}</text>`);
  for (const f of [0, 0.5, 1]) {
    const y = Y(yMax * f);
    o.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${num(y)}" y2="${num(y)}" stroke="${f === 0 ? "#8c959f" : "#eaeef2"}"/>`);
    o.push(`<text x="${PAD.l - 6}" y="${num(y + 4)}" font-size="11" text-anchor="end" fill="#656d76">${esc(fmtInt(yMax * f))}</text>`);
  }
  o.push(`<text x="${PAD.l}" y="${H - 8}" font-size="11" fill="#656d76">0s</text>`);
  o.push(`<text x="${W - PAD.r}" y="${H - 8}" font-size="11" text-anchor="end" fill="#656d76">${esc(fmtSecs(xMax * 1000))}</text>`);
  for (const m of marks) {
    const x = num(X(m.x));
    o.push(`<line class="mark" x1="${x}" x2="${x}" y1="${PAD.t}" y2="${PAD.t + ih}" stroke="#cf222e" stroke-dasharray="3 3"><title>${esc(m.title)}</title></line>`);
  }
  if (pts.length > 1)
    o.push(`<polyline class="series" fill="none" stroke="#0969da" stroke-width="2" stroke-linejoin="round" points="${pts.map((p) => `${num(X(p.x))},${num(Y(p.y))}`).join(" ")}"/>`);
  if (pts.length <= DOTS)
    for (const p of pts)
      o.push(`<circle class="dot" cx="${num(X(p.x))}" cy="${num(Y(p.y))}" r="2.5" fill="#0969da"><title>${esc(`${fmtSecs(p.x * 1000)}: ${fmtInt(p.y)}`)}</title></circle>`);
  if (!pts.length) o.push(`<text x="${PAD.l + iw / 2}" y="${PAD.t + ih / 2}" font-size="12" text-anchor="middle" fill="#656d76">no data</text>`);
  o.push("</svg>");
  return o.join("");
}
