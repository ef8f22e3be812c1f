// One finding on the report page: its stored program re-run through the executor with tracing
// on, drawn as a timeline (timeline.ts) with the KASAN-style report beside it (the text
// diagram's renderReport) and the program listing, the event where it fired marked.
import { UnknownBugError } from "../bugs/switches.js";
import { resolveInput, type BugsFrom, type InputFlags } from "../corpus/input.js";
import { eventName, renderDiagram, renderReport } from "../exec/diagram.js";
import { execute, type Verdict } from "../exec/executor.js";
import { ProgramFileError } from "../program/load.js";
import { ParseError, configLine } from "../program/text.js";
import type { Program } from "../program/types.js";
import { signature } from "../sanitizers/report.js";
import { fmtSecs } from "../fuzzing/progress.js";
import { esc } from "./html.js";
import type { FindingRecord } from "./logs.js";
import { isNote, MAX_TIMELINE_POINTS, timelineSvg } from "./timeline.js";

export interface FindingSource {
  /** where to read the program */
  path: string;
  /** the path as the page shows it */
  display: string;
  /** the campaign's record of it, when it came from findings.jsonl */
  record?: FindingRecord;
  /** how many findings.jsonl lines named this file */
  seen?: number;
}

/** --bugs and --target as given: they override a file's `# bugs`, its artifact path and sidecar */
export type FindingRunOptions = InputFlags;

export interface TracedFinding {
  program: Program;
  /** the switches it ran with, and where they came from */
  bugs: string[];
  bugsFrom: BugsFrom;
  verdict: Verdict;
}

/** Load a stored reproducer (its switches and table decided as every command decides them) and re-run it traced. */
export function traceFinding(path: string, opts: FindingRunOptions = {}): TracedFinding {
  const r = resolveInput(path, opts);
  const verdict = execute(r.program, { bugs: r.bugs, trace: true });
  return { program: r.program, bugs: [...r.bugs], bugsFrom: r.bugsFrom, verdict };
}

function listing(p: Program, at: number | undefined): string {
  const rows = [`<li>${esc(configLine(p))}</li>`];
  p.events.forEach((_, i) => rows.push(`<li${i === at ? ' class="at"' : ""}>${esc(eventName(p, i))}</li>`));
  return `<div class="program"><h4>program</h4><ol>${rows.join("")}</ol></div>`;
}

/** The campaign's record of a finding, as <p> lines; `got` is the re-run's signature (null: not run). */
function recordLines(src: FindingSource, got: string | undefined | null): string[] {
  const r = src.record;
  if (!r) return [];
  const seen = src.seen && src.seen > 1 ? `, logged ${src.seen} times` : "";
  const out = [`<p class="meta">${esc(`found ${fmtSecs(r.t * 1000)} into the campaign, ${r.new ? "new" : "a duplicate of a stored reproducer"}${seen}`)}</p>`];
  if (got !== null && got !== r.signature)
    out.push(`<p class="bad">${esc(`the campaign logged ${r.signature}; the re-run gives ${got ?? "no finding"}`)}</p>`);
  return out;
}

/** The page section of one finding; a file that cannot be read or run gets a section saying why. */
export function findingSection(id: string, src: FindingSource, opts: FindingRunOptions = {}): string {
  let t: TracedFinding;
  try {
    t = traceFinding(src.path, opts);
  } catch (e) {
    if (!(e instanceof ProgramFileError || e instanceof ParseError || e instanceof UnknownBugError)) throw e;
    const title = src.record ? src.record.title : src.display;
    return [
      `<section class="finding" id="${esc(id)}">`,
      `<h3><span class="kind">${esc(src.record?.kind ?? "unreadable")}</span>${esc(title)}</h3>`,
      `<p class="meta">${esc(src.display)}</p>`,
      ...recordLines(src, null),
      `<p class="bad">cannot show this finding: ${esc(e.message)}</p>`,
      "</section>",
    ].join("\n");
  }
  const v = t.verdict;
  const f = v.findings[0];
  const sig = f ? signature(f) : undefined;
  const meta = [
    esc(src.display),
    t.bugs.length ? `bugs ${esc(t.bugs.join(","))} (from ${t.bugsFrom === "# bugs header" ? "the # bugs header" : t.bugsFrom})` : "no bug switches",
    ...(sig ? [`signature <code>${esc(sig)}</code>`] : []),
  ];
  const notes = v.trace.filter(isNote).map((e) => `<li>${esc(eventName(t.program, e.event))}: ${esc(e.label.slice(2))}</li>`);
  const right = f
    ? v.findings.map((x) => `<pre>${esc(renderReport(t.program, x).join("\n"))}</pre>`).join("\n")
    : `<p class="note">no finding on this run${t.bugs.length ? ` with ${esc(t.bugs.join(","))}` : " (no bug switches are on: see '# bugs' or --bugs)"}</p>`;
  return [
    `<section class="finding" id="${esc(id)}">`,
    `<h3><span class="kind${f ? "" : " clean"}">${esc(f ? f.kind : "clean")}</span>${esc(f ? f.title : src.display)}</h3>`,
    `<p class="meta">${meta.join(" · ")}</p>`,
    ...recordLines(src, sig),
    ...(v.stats.limit ? [`<p class="bad">harness limit: the step budget ran out after ${v.stats.points} points (no verdict)</p>`] : []),
    '<div class="race">',
    `<div class="timeline">${timelineSvg(t.program, v)}${notes.length ? `<ul class="note">${notes.join("")}</ul>` : ""}</div>`,
    listing(t.program, f && f.event >= 0 ? f.event : undefined),
    `<div class="kasan"><h4>report</h4>${right}</div>`,
    "</div>",
    v.trace.length <= MAX_TIMELINE_POINTS
      ? `<details><summary>the same run as text columns per CPU</summary><pre>${esc(renderDiagram(t.program, v))}</pre></details>`
      : `<p class="note">${esc(`the run as text columns per CPU: futex-fuzz run ${src.display} --trace`)}</p>`,
    "</section>",
  ].join("\n");
}
