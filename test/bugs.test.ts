import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUGS, seamsFor } from "../src/bugs/registry.js";
import { parseBugs } from "../src/bugs/switches.js";
import { listCorpusFiles } from "../src/corpus/walk.js";
import { parseCorpusFile } from "../src/corpus/file.js";
import { execute } from "../src/exec/executor.js";
import { main } from "../src/cli/main.js";

const regressions = join(import.meta.dirname, "..", "corpus", "regressions");

describe("bug registry", () => {
  it("every switch has a reproducer under corpus/regressions/<id>/ that fires only with it on", () => {
    for (const b of BUGS) {
      const files = listCorpusFiles([join(regressions, b.id)]);
      expect(files.length, `${b.id} has a reproducer`).toBeGreaterThan(0);
      for (const f of files) {
        const c = parseCorpusFile(readFileSync(f, "utf8"), f);
        expect(c.bugs).toContain(b.id);
        const on = execute(c.program, { bugs: parseBugs(c.bugs) });
        expect(on.findings.map((x) => x.kind).some((k) => b.expect.includes(k)), `${f} fires ${b.expect.join("|")}`).toBe(true);
        expect(execute(c.program).findings, `${f} is clean on v7.2`).toEqual([]);
      }
    }
  });

  it("each switch replaces at least one seam, and unknown ids are rejected", () => {
    for (const b of BUGS) expect(Object.keys(b.seams).length).toBeGreaterThan(0);
    expect(() => parseBugs("nope")).toThrow(/unknown bug switch 'nope'/);
    expect(seamsFor([])).toEqual({});
  });

  it("futex-fuzz bugs --json lists id, commits, expected kinds and mechanism", async () => {
    let out = "";
    const code = await main(["bugs", "--json"], { out: (s) => void (out += s), err: () => {} });
    expect(code).toBe(0);
    const rows = JSON.parse(out) as Array<Record<string, unknown>>;
    expect(rows.map((r) => r.id)).toEqual(BUGS.map((b) => b.id));
    for (const r of rows) for (const k of ["title", "introduced", "fixed", "expect", "mechanism", "seams"]) expect(r[k], k).toBeTruthy();
  });
});
