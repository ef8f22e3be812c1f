// `run --trace` draws every preemption point's label in full: a label wider than its CPU column
// continues on the next line of the same column instead of being cut off.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderDiagram, wrapCell } from "../src/exec/diagram.js";
import { execute } from "../src/exec/executor.js";
import { parseCorpusFile } from "../src/corpus/file.js";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";

describe("--trace columns", () => {
  it("wraps a long cell within its width, losing no character", () => {
    const s = "futex_hash_allocate: kvzalloc(struct_size(fph, queues, hash_slots)) and some more words";
    const lines = wrapCell(s, 30);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(30);
    expect(lines.join("").replace(/\s+/g, "")).toBe(s.replace(/\s+/g, ""));
    expect(wrapCell("short", 30)).toEqual(["short"]);
  });

  it("a two-CPU run shows every label whole (nothing cut with …)", () => {
    const path = join(PROJECT_ROOT, "corpus", "conformance", "futex-requeue-single.fz");
    const f = parseCorpusFile(readFileSync(path, "utf8"), path);
    const v = execute(f.program, { trace: true });
    const text = renderDiagram(f.program, v);
    expect(text).not.toContain("…");
    const lines = text.split("\n");
    const width = lines[1]!.length;
    const w = (width - 3) / 2;
    const rows = lines.slice(2, lines.findIndex((l) => l.startsWith("=====")));
    for (const l of rows) expect(l.length).toBeLessThanOrEqual(width);
    // each CPU column, its wrapped pieces joined, holds the labels
    const squeeze = (s: string) => s.replace(/\s+/g, "");
    const cells = rows.filter((l) => !/^ {2}\[/.test(l));
    const cols = [0, 1].map((c) => squeeze(cells.map((l) => l.slice(c * (w + 3), c * (w + 3) + w)).join("")));
    const longest = v.trace.reduce((a, e) => (e.label.length > a.length ? e.label : a), "");
    expect(longest.length).toBeGreaterThan(59);
    for (const e of v.trace) if (!e.label.startsWith("# ") && e.cpu >= 0) expect(cols[e.cpu]).toContain(squeeze(e.label));
  });
});
