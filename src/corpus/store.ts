// Storing regressions: <dir>/<bug-id>/<content-hash>.fz (the layout of corpus/regressions: one
// directory per bug switch, `+`-joined when it takes several, `no-switch` for a finding on the
// fixed kernel), deduplicated by signature and the switches it fires under, smallest kept,
// written atomically so an interrupted fuzzing session never leaves a half-written corpus file.
import { createHash } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { print } from "../program/text.js";
import type { Program } from "../program/types.js";
import { signature, type Finding } from "../sanitizers/report.js";
import { writeAtomic } from "./atomic.js";
import { formatCorpusFile, parseCorpusFile } from "./file.js";
import { listCorpusFiles } from "./walk.js";

/** The directory of a regression: its bug switches, sorted and `+`-joined; `no-switch` for none. */
export function bugDir(bugs: readonly string[]): string {
  const key = bugKey(bugs);
  return key ? key.replace(/,/g, "+").replace(/[^A-Za-z0-9._+-]+/g, "-") : "no-switch";
}

/** sha256 of the canonical program text, first 16 hex digits. */
export function contentHash(p: Program): string {
  return createHash("sha256").update(print(p)).digest("hex").slice(0, 16);
}

/** Generated names only: hand-written regressions are never replaced. */
const GENERATED = /^[0-9a-f]{16}\.fz$/;

interface Existing {
  path: string;
  size: [number, number, string];
  generated: boolean;
}

function sizeOf(p: Program): [number, number, string] {
  const text = print(p);
  return [p.events.length, text.length, text];
}

function smaller(a: [number, number, string], b: [number, number, string]): boolean {
  return a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];
}

const bugKey = (bugs: readonly string[]) => [...new Set(bugs)].sort().join(",");

/** Same-signature regressions already in dir (unreadable files are ignored here, never touched). */
function findSame(dir: string, sig: string, bugs: string): Existing[] {
  const out: Existing[] = [];
  for (const path of listCorpusFiles([dir])) {
    try {
      const f = parseCorpusFile(readFileSync(path, "utf8"), path);
      if (f.signature === sig && bugKey(f.bugs) === bugs)
        out.push({ path, size: sizeOf(f.program), generated: GENERATED.test(basename(path)) });
    } catch {
      // a bad file is `corpus check`'s business
    }
  }
  return out;
}

/** The one corpus-file header of a minimized finding: title, signature, bugs, expected kind. */
export function regressionText(program: Program, finding: Finding, bugs: readonly string[], comment?: string): string {
  const key = bugKey(bugs);
  return formatCorpusFile({
    program,
    title: finding.title,
    signature: signature(finding),
    bugs: key ? key.split(",") : [],
    expects: [{ kind: "finding", kinds: [finding.kind] }],
    comment,
  });
}

export interface StoreResult {
  path: string;
  /** a new file was written */
  added: boolean;
  /** the existing file that already covers this signature (when not added) */
  duplicateOf?: string;
  /** smaller replacement: the generated same-signature files that were removed */
  replaced?: string[];
}

/**
 * Store a minimized reproducer. Dedupe key: signature + bug switches (the same crash under two
 * different historical bugs is two regressions). When a same-key file exists the smallest wins:
 * a smaller new program replaces generated files (hand-written ones are never removed).
 */
export function storeRegression(dir: string, program: Program, finding: Finding, bugs: readonly string[], comment?: string): StoreResult {
  const sig = signature(finding);
  const key = bugKey(bugs);
  const path = join(dir, bugDir(bugs), `${contentHash(program)}.fz`);
  const same = findSame(dir, sig, key);
  const mine = sizeOf(program);
  const best = same.reduce<Existing | null>((b, e) => (b === null || smaller(e.size, b.size) ? e : b), null);
  if (best && (!smaller(mine, best.size) || same.some((e) => !e.generated)))
    return { path: best.path, added: false, duplicateOf: best.path };
  const text = regressionText(program, finding, bugs, comment);
  writeAtomic(path, text);
  const replaced: string[] = [];
  for (const e of same)
    if (e.generated && e.path !== path) {
      unlinkSync(e.path);
      replaced.push(e.path);
    }
  return replaced.length ? { path, added: true, replaced } : { path, added: true };
}
