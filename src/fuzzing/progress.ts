// Campaign progress: the latest libFuzzer status of every worker, summed up into one line.
import type { Status } from "./jazzer.js";

export interface WorkerStats {
  /** executions of this worker's finished processes */
  doneExecs: number;
  /** executions of its running process (last status line) */
  execs: number;
  cov: number;
  ft: number;
  corp: number;
}

export function newWorkerStats(): WorkerStats {
  return { doneExecs: 0, execs: 0, cov: 0, ft: 0, corp: 0 };
}

export function applyStatus(w: WorkerStats, s: Status): void {
  w.execs = Math.max(w.execs, s.execs);
  // a restarted process reports less until it has loaded the corpus: keep the best seen
  if (s.cov !== undefined) w.cov = Math.max(w.cov, s.cov);
  if (s.ft !== undefined) w.ft = Math.max(w.ft, s.ft);
  if (s.corp !== undefined) w.corp = s.corp;
}

/** a process ended with `execs` executions */
export function retire(w: WorkerStats, execs: number): void {
  w.doneExecs += Math.max(execs, w.execs);
  w.execs = 0;
}

export interface Totals {
  execs: number;
  /** coverage and features: the best worker's (they share one corpus) */
  cov: number;
  ft: number;
  corp: number;
}

export function totals(ws: readonly WorkerStats[]): Totals {
  return {
    execs: ws.reduce((a, w) => a + w.doneExecs + w.execs, 0),
    cov: Math.max(0, ...ws.map((w) => w.cov)),
    ft: Math.max(0, ...ws.map((w) => w.ft)),
    corp: Math.max(0, ...ws.map((w) => w.corp)),
  };
}

/** 1234567 -> "1,234,567" (not toLocaleString: its first call loads ICU, ~30 ms at a campaign's start) */
export const fmtInt = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

export function fmtSecs(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function progressLine(elapsedMs: number, t: Totals, findings: number, workers: number): string {
  const rate = elapsedMs > 0 ? (t.execs * 1000) / elapsedMs : 0;
  return (
    `[fuzz ${fmtSecs(elapsedMs).padStart(6)}] execs ${fmtInt(t.execs)} (${fmtInt(rate)}/s)` +
    `  cov ${t.cov}  ft ${t.ft}  corp ${t.corp}  findings ${findings}` +
    (workers > 1 ? `  workers ${workers}` : "")
  );
}
