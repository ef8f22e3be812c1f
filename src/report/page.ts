// The report page: a campaign's work dir (one section per target: progress charts, findings
// table, one traced timeline per distinct reproducer) or a list of stored reproducers, then the
// corpus stats. Same inputs, same bytes: nothing here reads the clock or the environment.
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { PROJECT_ROOT } from "../fuzzing/paths.js";
import { fmtInt, fmtSecs } from "../fuzzing/progress.js";
import { lineChart, type ChartMark } from "./chart.js";
import { findingSection, type FindingRunOptions } from "./finding.js";
import { esc, page } from "./html.js";
import type { CampaignLogs, FindingRecord, ProgressPoint } from "./logs.js";

export interface ReportInput {
  /** a campaign: its work dir as shown, and the logs of each target directory in it */
  campaign?: { display: string; targets: CampaignLogs[] };
  /** stored reproducers to show (`futex-fuzz report FILE.fz ...`) */
  files?: Array<{ path: string; display: string }>;
  /** `futex-fuzz corpus stats` output for a corpus directory */
  corpusStats?: { display: string; text: string };
  run?: FindingRunOptions;
  /** where a stored path from findings.jsonl is read (default locateStored) */
  locate?: (file: string) => string;
}

export interface Report {
  html: string;
  /** finding sections drawn */
  findings: number;
}

/** A logged reproducer path: as is when it exists (absolute, or relative to the working directory), else under the project root. */
export function locateStored(file: string): string {
  if (isAbsolute(file) || existsSync(file)) return file;
  const inRoot = join(PROJECT_ROOT, file);
  return existsSync(inRoot) ? inRoot : file;
}

const CHARTS: Array<[string, (p: ProgressPoint) => number]> = [
  ["coverage (edges)", (p) => p.cov],
  ["features", (p) => p.ft],
  ["corpus size", (p) => p.corpus],
  ["execs/s", (p) => p.execsPerSecond],
];

function skippedNote(path: string, lines: number[]): string {
  if (!lines.length) return "";
  const shown = lines.slice(0, 10).join(", ") + (lines.length > 10 ? ", …" : "");
  return `<p class="note">${esc(`${path}: ${lines.length} malformed line(s) skipped (line ${shown})`)}</p>`;
}

function progressPart(c: CampaignLogs, findings: readonly FindingRecord[]): string {
  const log = c.progress;
  if (!log.exists) return `<p class="note">${esc(`no progress log (${log.path}): a campaign writes it while it runs`)}</p>`;
  const pts = log.entries;
  const last = pts[pts.length - 1];
  const out: string[] = [];
  if (!last) out.push(`<p class="note">${esc(`${log.path} has no progress entries yet`)}</p>`);
  else {
    const cells: Array<[string, string]> = [
      ["run time", fmtSecs(last.t * 1000)],
      ["executions", fmtInt(last.execs)],
      ["execs/s", fmtInt(last.execsPerSecond)],
      ["coverage", fmtInt(last.cov)],
      ["features", fmtInt(last.ft)],
      ["corpus", fmtInt(last.corpus)],
      ["findings", fmtInt(last.findings)],
    ];
    out.push(`<table class="summary"><tr>${cells.map(([k]) => `<th>${esc(k)}</th>`).join("")}</tr><tr>${cells.map(([, v]) => `<td class="n">${esc(v)}</td>`).join("")}</tr></table>`);
    const marks: ChartMark[] = findings.map((f) => ({ x: f.t, title: `${fmtSecs(f.t * 1000)}: ${f.title}` }));
    out.push(`<div class="charts">${CHARTS.map(([title, y]) => lineChart(title, pts.map((p) => ({ x: p.t, y: y(p) })), marks)).join("")}</div>`);
  }
  out.push(skippedNote(log.path, log.skipped));
  return out.join("\n");
}

/** finding sections drawn so far (their anchors are numbered across targets) */
interface Drawn {
  count: number;
}

function findingsPart(c: CampaignLogs, locate: (f: string) => string, run: FindingRunOptions, drawn: Drawn): string {
  const log = c.findings;
  if (!log.exists) return `<p class="note">${esc(`no findings log (${log.path}): no finding recorded`)}</p>`;
  const out: string[] = [];
  if (!log.entries.length) out.push(`<p class="note">no findings</p>`);
  // one section per distinct stored file, in the order first logged
  const byFile = new Map<string, { record: FindingRecord; seen: number; id: string }>();
  const rows: string[] = [];
  for (const r of log.entries) {
    let d = byFile.get(r.file);
    if (!d) {
      d = { record: r, seen: 0, id: `finding-${drawn.count + byFile.size + 1}` };
      byFile.set(r.file, d);
    }
    d.seen++;
    rows.push(
      `<tr><td class="n">${esc(fmtSecs(r.t * 1000))}</td><td><code>${esc(r.signature)}</code></td><td>${esc(r.title)}</td><td>${r.new ? "new" : "duplicate"}</td><td><a href="#${d.id}">${esc(r.file)}</a></td></tr>`,
    );
  }
  if (rows.length) out.push(`<table class="findings"><tr><th>at</th><th>signature</th><th>title</th><th></th><th>stored</th></tr>${rows.join("")}</table>`);
  out.push(skippedNote(log.path, log.skipped));
  for (const [file, d] of byFile) out.push(findingSection(d.id, { path: locate(file), display: file, record: d.record, seen: d.seen }, run));
  drawn.count += byFile.size;
  return out.join("\n");
}

export function buildReport(input: ReportInput): Report {
  const run = input.run ?? {};
  const locate = input.locate ?? locateStored;
  const drawn: Drawn = { count: 0 };
  const body: string[] = [];
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  if (input.campaign) {
    const { display, targets } = input.campaign;
    if (!targets.length) body.push(`<p class="note">${esc(`no campaign found in ${display}: it has no target directories (futex-fuzz fuzz writes ${display}/<target>/)`)}</p>`);
    for (const c of targets) {
      body.push(`<h2 id="target-${esc(c.target)}">target ${esc(c.target)}</h2>`);
      body.push(`<h3>progress</h3>`, progressPart(c, c.findings.entries));
      body.push(`<h3>findings</h3>`, findingsPart(c, locate, run, drawn));
    }
  } else {
    const files = input.files ?? [];
    files.forEach((f, i) => body.push(findingSection(`finding-${i + 1}`, f, run)));
    drawn.count = files.length;
  }
  if (input.corpusStats) {
    body.push(`<h2 id="corpus">corpus</h2>`);
    body.push(`<p class="meta">${esc(`futex-fuzz corpus stats ${input.corpusStats.display}`)}</p>`);
    body.push(`<pre>${esc(input.corpusStats.text)}</pre>`);
  }
  const subtitle = input.campaign
    ? `campaign in ${input.campaign.display} · ${plural(input.campaign.targets.length, "target")} · ${plural(drawn.count, "distinct reproducer")}`
    : plural(drawn.count, "stored reproducer");
  return { html: page("futex-fuzz report", subtitle, body.join("\n")), findings: drawn.count };
}

