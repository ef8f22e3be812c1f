// One test per corpus file (seeds, conformance, regressions), discovered at run time and named
// after its path: the declared `# expect` verdicts hold with the file's `# bugs`, and every
// file (seeds included) is clean on the fixed kernel (verifyCorpusFile checks both).
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { relative } from "node:path";
import { verifyCorpusFile } from "../src/corpus/file.js";
import { listCorpusFiles } from "../src/corpus/walk.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const files = listCorpusFiles([fileURLToPath(new URL("../corpus", import.meta.url))]);

describe("corpus replay", () => {
  it("finds the corpus (seeds, conformance, regressions)", () => expect(files.length).toBeGreaterThan(50));
  for (const f of files)
    it(relative(root, f), () => {
      const r = verifyCorpusFile(f);
      expect(r.reasons).toEqual([]);
      expect(r.ok).toBe(true);
    });
});
