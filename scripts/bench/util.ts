// Small helpers shared by the benchmark parts: clocks, order statistics. (Seeded random bytes come
// from the generative engine: xorshift and randomBytes in src/fuzzing/generative.ts.)
import { performance } from "node:perf_hooks";
import { fmtInt as fmtCount } from "../../src/fuzzing/progress.js";

/** Run `body` (returning units of work) repeatedly for `seconds`; units per second. */
export function timeFor(seconds: number, body: () => number): { rate: number; units: number; secs: number } {
  const t0 = performance.now();
  let units = 0;
  let now = t0;
  while (now - t0 < seconds * 1000) {
    units += body();
    now = performance.now();
  }
  const secs = (now - t0) / 1000;
  return { rate: units / secs, units, secs };
}

/** timeFor in this process's CPU time (user + system) instead of wall time. */
export function cpuTimeFor(seconds: number, body: () => number): { rate: number; units: number; secs: number } {
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const t0 = cpu();
  let units = 0;
  let now = t0;
  while (now - t0 < seconds) {
    units += body();
    now = cpu();
  }
  const secs = now - t0;
  return { rate: units / secs, units, secs };
}

/** The median (mean of the two middle values for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const fmtInt = (n: number): string => (Number.isFinite(n) ? fmtCount(n) : "-");

export function fmtSec(s: number): string {
  if (!Number.isFinite(s)) return "-";
  return s < 10 ? s.toFixed(2) : s < 100 ? s.toFixed(1) : s.toFixed(0);
}
