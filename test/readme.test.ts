// The README is executable truth: every `$ node bin/futex-fuzz.js …` (or `$ futex-fuzz …`) line
// in a fenced block is run, in order, in a fresh copy of the repository (bin, dist, the tracked
// corpus and examples, package.json; no .fuzz-out), and its output (stdout and stderr) compared
// with the lines that follow it in the README. Figures, hex hashes and the copy's path are
// masked on both sides; a `...` line stands for any number of lines.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./build.js";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";

export interface Example {
  command: string;
  expected: string[];
  line: number;
}

/** the `$ ` commands of the README's fenced blocks with the output lines under each */
export function readmeExamples(text: string): Example[] {
  const out: Example[] = [];
  let inBlock = false;
  let cur: Example | undefined;
  text.split("\n").forEach((l, i) => {
    if (l.startsWith("```")) {
      inBlock = !inBlock;
      cur = undefined;
      return;
    }
    if (!inBlock) return;
    const m = /^\$ (?:node bin\/futex-fuzz\.js|futex-fuzz)( .*)?$/.exec(l);
    if (m) {
      cur = { command: `node bin/futex-fuzz.js${m[1] ?? ""}`, expected: [], line: i + 1 };
      out.push(cur);
    } else if (cur) cur.expected.push(l);
  });
  return out;
}

export function mask(s: string, dir: string): string {
  return s
    .split(dir)
    .join("<dir>")
    .replace(/[0-9a-f]{16,}/g, "<hash>")
    .replace(/\d[\d,]*(\.\d+)?/g, "N")
    .replace(/\s+$/, "");
}

/** `expected` (with `...` wildcards) matches `actual`, line by line */
export function matches(expected: readonly string[], actual: readonly string[]): boolean {
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const k = `${i},${j}`;
    if (memo.has(k)) return memo.get(k)!;
    let r: boolean;
    if (i === expected.length) r = j === actual.length;
    else if (expected[i] === "...") r = go(i + 1, j) || (j < actual.length && go(i, j + 1));
    else r = j < actual.length && expected[i] === actual[j] && go(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return go(0, 0);
}

/** a fresh copy: what a clone has after `npm ci && npm run build` */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "ff-readme-"));
  const tracked = execFileSync("git", ["ls-files", "corpus", "examples", "bin"], { cwd: PROJECT_ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  for (const f of tracked) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(PROJECT_ROOT, f), join(dir, f));
  }
  cpSync(join(PROJECT_ROOT, "dist"), join(dir, "dist"), { recursive: true });
  cpSync(join(PROJECT_ROOT, "package.json"), join(dir, "package.json"));
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

describe("README examples", () => {
  const examples = readmeExamples(readFileSync(join(PROJECT_ROOT, "README.md"), "utf8"));
  let dir = "";
  beforeAll(() => {
    ensureBuilt("src/cli/main.js");
    ensureBuilt("fuzz/target.js");
    dir = freshCopy();
  });

  it("the matcher: masks figures and paths, `...` spans lines, a wrong line fails", () => {
    expect(mask("/x/y/a.fz: 1,802 execs (228/s) after 7.7s crash-b83e60d14bd72d7e", "/x/y")).toBe("<dir>/a.fz: N execs (N/s) after Ns crash-<hash>");
    expect(matches(["a", "...", "d"], ["a", "b", "c", "d"])).toBe(true);
    expect(matches(["a", "...", "d"], ["a", "d"])).toBe(true);
    expect(matches(["a", "...", "d"], ["a", "b", "c"])).toBe(false);
    expect(matches(["a", "b"], ["a", "c"])).toBe(false);
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it("every example prints what the README says, in a fresh copy", () => {
    for (const ex of examples) {
      const r = spawnSync("bash", ["-c", `${ex.command} 2>&1`], { cwd: dir, encoding: "utf8", timeout: 240_000 });
      const actual = mask(r.stdout, dir).split("\n");
      const expected = mask(ex.expected.join("\n"), dir).split("\n");
      if (!matches(expected, actual))
        expect(actual.join("\n"), `README.md:${ex.line}: $ ${ex.command} (exit ${r.status})`).toBe(expected.join("\n"));
    }
  });
});
