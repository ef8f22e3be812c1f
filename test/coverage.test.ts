// The kernel coverage gate: npm test runs the corpus replay under c8 with the thresholds of
// package.json's c8 block (c8 reads it), over the simulated kernel only, and the README states
// the same numbers. (c8 around plain node is exact; the replay itself runs in npm test.)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";

interface Pkg {
  scripts: Record<string, string>;
  c8: { include: string[]; lines: number; branches: number; functions: number };
}
const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as Pkg;
const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");

describe("kernel coverage gate", () => {
  it("measures src/kernel and src/sanitizers only, with lines, branches and functions thresholds", () => {
    expect([...pkg.c8.include].sort()).toEqual(["dist/src/kernel/**", "dist/src/sanitizers/**"]);
    for (const k of ["lines", "branches", "functions"] as const) {
      expect(pkg.c8[k], k).toBeGreaterThan(50);
      expect(pkg.c8[k], k).toBeLessThanOrEqual(100);
    }
  });

  it("npm test checks them around the plain-node corpus replay, before vitest; npm run coverage writes HTML and text", () => {
    const replay = "node dist/src/corpus/replay-main.js";
    expect(pkg.scripts.test).toMatch(new RegExp(`c8 [^&]*--check-coverage [^&]*${replay} && vitest run`));
    expect(pkg.scripts.coverage).toContain("--reporter=html");
    expect(pkg.scripts.coverage).toContain("--reporter=text ");
    expect(pkg.scripts.coverage).toContain(replay);
    // c8 flags on the command line would override the package.json block: keep them there only
    for (const s of [pkg.scripts.test!, pkg.scripts.coverage!]) expect(s).not.toMatch(/--(include|lines|branches|functions)\b/);
  });

  it("the README states the thresholds in force", () => {
    const { lines, branches, functions } = pkg.c8;
    expect(readme.replace(/\s+/g, " ")).toContain(`lines ${lines}%, branches ${branches}%, functions ${functions}%`);
  });
});
