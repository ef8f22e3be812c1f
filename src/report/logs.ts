// A campaign's logs, as the report reads them: <work-dir>/<target>/progress.jsonl (one status
// object per line) and findings.jsonl (one finding per line). A line that is not a complete
// object of the expected shape (a campaign still writing, a hand edit) is skipped and counted.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export interface ProgressPoint {
  /** seconds since the campaign started */
  t: number;
  execs: number;
  execsPerSecond: number;
  cov: number;
  ft: number;
  corpus: number;
  findings: number;
}

export interface FindingRecord {
  t: number;
  signature: string;
  title: string;
  kind: string;
  /** the stored .fz reproducer */
  file: string;
  /** false when the finding was a duplicate of a stored one */
  new: boolean;
}

export interface Log<T> {
  /** where it was looked for */
  path: string;
  exists: boolean;
  entries: T[];
  /** lines skipped as malformed, with their 1-based numbers */
  skipped: number[];
}

export interface CampaignLogs {
  target: string;
  dir: string;
  progress: Log<ProgressPoint>;
  findings: Log<FindingRecord>;
}

export const PROGRESS_LOG = "progress.jsonl";
export const FINDINGS_LOG = "findings.jsonl";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function finite(o: Record<string, unknown>, k: string): number | undefined {
  const v = o[k];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function parseProgress(o: unknown): ProgressPoint | undefined {
  if (!isRecord(o)) return undefined;
  const [t, execs, execsPerSecond, cov, ft, corpus, findings] = [
    finite(o, "t"),
    finite(o, "execs"),
    finite(o, "execsPerSecond"),
    finite(o, "cov"),
    finite(o, "ft"),
    finite(o, "corpus"),
    finite(o, "findings"),
  ];
  if (t === undefined || execs === undefined || execsPerSecond === undefined || cov === undefined || ft === undefined || corpus === undefined || findings === undefined)
    return undefined;
  return { t, execs, execsPerSecond, cov, ft, corpus, findings };
}

export function parseFinding(o: unknown): FindingRecord | undefined {
  if (!isRecord(o)) return undefined;
  const t = finite(o, "t");
  const { signature, title, kind, file } = o;
  if (t === undefined || typeof signature !== "string" || typeof title !== "string" || typeof kind !== "string" || typeof file !== "string")
    return undefined;
  if (typeof o.new !== "boolean") return undefined;
  return { t, signature, title, kind, file, new: o.new };
}

function readJsonl<T>(path: string, parseLine: (o: unknown) => T | undefined): Log<T> {
  const log: Log<T> = { path, exists: false, entries: [], skipped: [] };
  if (!existsSync(path) || !statSync(path).isFile()) return log;
  log.exists = true;
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (!line.trim()) return;
      let v: T | undefined;
      try {
        v = parseLine(JSON.parse(line));
      } catch {
        v = undefined;
      }
      if (v === undefined) log.skipped.push(i + 1);
      else log.entries.push(v);
    });
  return log;
}

export function readCampaignLogs(dir: string, target: string): CampaignLogs {
  return {
    target,
    dir,
    progress: readJsonl(join(dir, PROGRESS_LOG), parseProgress),
    findings: readJsonl(join(dir, FINDINGS_LOG), parseFinding),
  };
}

/** One entry per target subdirectory of a work dir (dot-entries skipped), in name order. */
export function readWorkDir(workDir: string): CampaignLogs[] {
  return readdirSync(workDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort()
    .map((name) => readCampaignLogs(join(workDir, name), name));
}
