import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { parseBugs } from "../src/bugs/switches.js";
import { parseCorpusFile } from "../src/corpus/file.js";
import { execute } from "../src/exec/executor.js";
import { parse } from "../src/program/text.js";
import { esc } from "../src/report/html.js";
import { niceCeil, thin, lineChart } from "../src/report/chart.js";
import { parseFinding, parseProgress, readCampaignLogs } from "../src/report/logs.js";
import { eventGroups, MAX_TIMELINE_POINTS, timelinePoints, timelineSvg } from "../src/report/timeline.js";
import { buildReport } from "../src/report/page.js";
import { readWorkDir } from "../src/report/logs.js";
import { campaignFixture, FIVE_CPUS, ONE_CPU } from "./report-fixture.js";

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

function traced(path: string) {
  const f = parseCorpusFile(readFileSync(path, "utf8"), path);
  return { p: f.program, v: execute(f.program, { bugs: parseBugs(f.bugs), trace: true }) };
}

describe("report: escaping", () => {
  it("escapes the five HTML metacharacters", () => {
    expect(esc(`<a href="x">&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  });

  it("never lets log text into the page as markup", () => {
    const work = campaignFixture();
    const bad = JSON.stringify({ t: 1, signature: "warn:<x>", title: "<script>alert(1)</script>", kind: "warn", file: "nowhere/<b>.fz", new: true });
    writeFileSync(join(work, "fork-lifecycle", "findings.jsonl"), bad + "\n");
    const html = buildReport({ campaign: { display: work, targets: readWorkDir(work) } }).html;
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<b>.fz");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("nowhere/&lt;b&gt;.fz: cannot read: ENOENT");
  });
});

describe("report: campaign logs", () => {
  it("reads every complete line and names the malformed ones", () => {
    const work = campaignFixture();
    const c = readCampaignLogs(join(work, "fork-lifecycle"), "fork-lifecycle");
    expect(c.progress.entries).toHaveLength(40);
    expect(c.progress.skipped).toEqual([41]);
    expect(c.findings.entries.map((f) => f.t)).toEqual([4, 21.5, 40]);
    const none = readCampaignLogs(join(work, "hash-resize"), "hash-resize");
    expect([none.progress.exists, none.findings.exists]).toEqual([false, false]);
  });

  it("rejects entries of the wrong shape", () => {
    const ok = { t: 1, execs: 2, execsPerSecond: 3, cov: 4, ft: 5, corpus: 6, findings: 0 };
    expect(parseProgress(ok)).toEqual(ok);
    expect(parseProgress({ ...ok, cov: "4" })).toBeUndefined();
    expect(parseProgress([1, 2])).toBeUndefined();
    const f = { t: 1, signature: "a:b", title: "T", kind: "warn", file: "x.fz", new: false };
    expect(parseFinding(f)).toEqual(f);
    expect(parseFinding({ ...f, new: "yes" })).toBeUndefined();
  });
});

describe("report: charts", () => {
  it("thins long series evenly, keeping both ends", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const t = thin(xs, 10);
    expect(t).toHaveLength(10);
    expect([t[0], t[9]]).toEqual([0, 999]);
    expect(thin([1, 2, 3], 10)).toEqual([1, 2, 3]);
  });

  it("scales to 1, 2 or 5 times a power of ten", () => {
    expect([niceCeil(957), niceCeil(1001), niceCeil(3), niceCeil(50)]).toEqual([1000, 2000, 5, 50]);
  });

  it("draws one line through the points and a mark per finding", () => {
    const svg = lineChart("cov", [{ x: 0, y: 1 }, { x: 1, y: 5 }, { x: 2, y: 9 }], [{ x: 1.5, title: "a <finding>" }]);
    expect(svg.match(/points="([^"]*)"/)![1]!.split(" ")).toHaveLength(3);
    expect(count(svg, /class="mark"/g)).toBe(1);
    expect(svg).toContain("a &lt;finding&gt;");
  });
});

describe("report: race timeline", () => {
  it("has one lane per CPU, one mark per preemption point and one band per program event", () => {
    const { p, v } = traced(FIVE_CPUS);
    const svg = timelineSvg(p, v);
    const points = v.trace.filter((e) => !e.label.startsWith("# "));
    expect(count(svg, /<g class="lane"/g)).toBe(5);
    expect(count(svg, /<rect class="pt"/g)).toBe(points.length);
    expect(count(svg, /<g class="ev"/g)).toBe(new Set(points.map((e) => e.event)).size);
    for (let c = 0; c < 5; c++) {
      const lane = svg.split(`<g class="lane" data-cpu="${c}">`)[1]!.split("</g>")[0]!;
      expect(count(lane, /<rect class="pt"/g), `CPU ${c}`).toBe(points.filter((e) => e.cpu === c).length);
    }
  });

  it("marks where the sanitizer fired, with the finding's title on hover", () => {
    const { p, v } = traced(ONE_CPU);
    const svg = timelineSvg(p, v);
    expect(v.findings).toHaveLength(1);
    expect(svg).toMatch(/<g class="fired" data-cpu="0"><title>KASAN: double-free in futex_hash_free\ndouble-free fires here/);
  });

  it("a clean run has no fired mark; a point's label is its hover title", () => {
    const p = parse("config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n");
    const v = execute(p, { trace: true });
    const svg = timelineSvg(p, v);
    expect(svg).not.toContain('class="fired"');
    const first = timelinePoints(p, v)[0]!.entry;
    expect(svg).toContain(`<title>${esc(`t${first.task}: ${first.label}`)}`);
    expect(eventGroups(timelinePoints(p, v)).map(([ev]) => ev)).toEqual([...new Set(v.trace.map((e) => e.event))]);
  });
});

describe("report: a run that spins", () => {
  it("draws the last MAX_TIMELINE_POINTS points and says how many it left out", () => {
    const p = parse("config cpus=2\nt0 mmap m0 anon\n");
    const v = execute(p, { trace: true });
    const n = MAX_TIMELINE_POINTS + 250;
    const trace = Array.from({ length: n }, (_, i) => ({ task: 0, cpu: i % 2, label: `spin ${i}`, event: 0 }));
    const svg = timelineSvg(p, { ...v, trace });
    expect(count(svg, /<rect class="pt"/g)).toBe(MAX_TIMELINE_POINTS);
    expect(svg).toContain("t0: spin 250\n");
    expect(svg).toContain(`t0: spin ${n - 1}\n`);
    expect(svg).not.toContain("t0: spin 249\n");
    expect(svg).toContain(`${n} preemption points (the first 250 not drawn)`);
  });
});

describe("futex-fuzz report", () => {
  it("writes one page for a campaign: charts, the findings table, one race per stored file, corpus stats", async () => {
    const work = campaignFixture();
    const out = join(work, "new-dir", "report.html");
    const r = await cli("report", work, "-o", out);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`wrote ${out}: 2 target(s), 2 finding(s)\n`);
    const html = readFileSync(out, "utf8");
    expect(count(html, /<svg class="chart"/g)).toBe(4);
    expect(count(html, /<svg class="race-timeline"/g)).toBe(2);
    expect(html).toContain("logged 2 times");
    expect(html).toContain("1 malformed line(s) skipped (line 41)");
    expect(html).toContain(`no progress log (${join(work, "hash-resize", "progress.jsonl")})`);
    let stats = "";
    await main(["corpus", "stats"], { out: (s) => void (stats += s), err: () => {} });
    expect(html).toContain(`<pre>${esc(stats)}</pre>`);
  });

  it("is self-contained and the same bytes twice", async () => {
    const work = campaignFixture();
    const a = await cli("report", work, "-o", "-");
    const b = await cli("report", work, "-o", "-");
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect(a.out).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it("draws stored reproducers with their # bugs header, unless --bugs overrides it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ff-report-files-"));
    const r = await cli("report", ONE_CPU, FIVE_CPUS, "-o", join(dir, "r.html"));
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, "r.html"), "utf8");
    expect(html).toContain('<span class="kind">double-free</span>');
    expect(html).toContain('<span class="kind">use-after-free</span>');
    expect(html).not.toContain("corpus stats");
    const fixed = await cli("report", ONE_CPU, "--bugs", "", "-o", "-");
    expect(fixed.out).toContain('<span class="kind clean">clean</span>');
    expect(fixed.out).not.toContain('class="fired"');
  });

  it("still writes a page when the work dir has no logs, and says so", async () => {
    const empty = mkdtempSync(join(tmpdir(), "ff-report-empty-"));
    const r = await cli("report", empty, "-o", "-");
    expect(r.code).toBe(0);
    expect(r.out).toContain("no campaign found in");
  });

  it("bad input is a one-line usage error with exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ff-report-bad-"));
    writeFileSync(join(dir, "file"), "x");
    const cases: string[][] = [
      ["report", join(dir, "missing")],
      ["report", dir, ONE_CPU],
      ["report", ONE_CPU, "-o", join(dir, "file", "r.html")],
      ["report", ONE_CPU, "--bugs", "no-such-bug"],
      ["report", dir, "--corpus", join(dir, "nope")],
      ["report", "--frobnicate"],
    ];
    for (const argv of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err.trim().split("\n"), argv.join(" ")).toHaveLength(1);
      expect(r.err).toMatch(/^futex-fuzz report: /);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(join(dir, "r.html"))).toBe(false);
  });

  it("--help documents the logs it reads and the exit status", async () => {
    const r = await cli("report", "--help");
    expect(r.code).toBe(0);
    for (const s of ["progress.jsonl", "findings.jsonl", "-o, --out", "exit status"]) expect(r.out).toContain(s);
  });
});
