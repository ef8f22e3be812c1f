// Which program, bug switches and event table an input file means: the one place that reads a
// corpus file's `# bugs` header, a crash artifact's path and its sidecar. `run`, `minimize`,
// `corpus import` and the fuzz campaign resolve their inputs here (and `kernel-diff` may too).
//
//   bugs:   --bugs, else the file's `# bugs` header (text), else the sidecar's bugs, else none
//   table:  --target, else the artifact's path (<work-dir>/<target>/artifacts/<name>), else the
//           sidecar <artifact>.json the campaign writes, else `all` (raw bytes only)
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { parseBugs, type BugSet } from "../bugs/switches.js";
import { loadProgramFile } from "../program/load.js";
import type { Program } from "../program/types.js";
import { TARGETS, targetEvents } from "../program/targets.js";
import { parseCorpusFile, type CorpusFile } from "./file.js";

export type BugsFrom = "--bugs" | "# bugs header" | "sidecar" | "none" | "campaign";
export type TargetFrom = "--target" | "artifact path" | "sidecar" | "default" | "campaign";

export interface ResolvedInput {
  path: string;
  program: Program;
  form: "text" | "bytes";
  /** a text file's header (title, signature, bugs, expectations) */
  header?: CorpusFile;
  bugs: BugSet;
  bugsFrom: BugsFrom;
  /** the fuzz target whose event table decoded raw bytes (text programs: not used) */
  target: string;
  targetFrom: TargetFrom;
}

/** What the campaign writes next to each artifact it handles: `<artifact>.json`. */
export interface Sidecar {
  target: string;
  bugs: string[];
  /** the libFuzzer -seed of the process that wrote the artifact */
  seed?: number;
  signature?: string;
}

export const sidecarPath = (artifact: string): string => `${artifact}.json`;

export function isSidecar(path: string): boolean {
  return path.endsWith(".json") && existsSync(path.slice(0, -".json".length));
}

export function readSidecar(artifact: string): Sidecar | undefined {
  const p = sidecarPath(artifact);
  if (!existsSync(p)) return undefined;
  try {
    const o: unknown = JSON.parse(readFileSync(p, "utf8"));
    if (typeof o !== "object" || o === null || !("target" in o) || typeof o.target !== "string") return undefined;
    const bugs = "bugs" in o && Array.isArray(o.bugs) ? o.bugs.filter((b): b is string => typeof b === "string") : [];
    return { target: o.target, bugs };
  } catch {
    return undefined;
  }
}

/** `<...>/<target>/artifacts/<file>` names its target when <target> is a known one */
export function targetOfArtifactPath(path: string): string | undefined {
  const dir = dirname(path);
  if (basename(dir) !== "artifacts") return undefined;
  const t = basename(dirname(dir));
  return TARGETS.includes(t) ? t : undefined;
}

export interface InputFlags {
  /** --bugs as given (undefined: not given) */
  bugs?: string;
  /** --target as given (undefined: not given) */
  target?: string;
  /** the fuzz campaign gave them (its own target and switches), not the command line */
  by?: "campaign";
}

/**
 * Load `path` and decide its switches and event table. Throws ProgramFileError / ParseError for
 * an unreadable or malformed file, UnknownBugError for an unknown switch, and Error naming the
 * known targets for an unknown --target (callers map them to exit 2).
 */
export function resolveInput(path: string, flags: InputFlags = {}): ResolvedInput {
  const sidecar = flags.target === undefined || flags.bugs === undefined ? readSidecar(path) : undefined;
  const fromPath = targetOfArtifactPath(path);
  const [target, targetFrom]: [string, TargetFrom] =
    flags.target !== undefined ? [flags.target, flags.by === "campaign" ? "campaign" : "--target"] : fromPath ? [fromPath, "artifact path"] : sidecar ? [sidecar.target, "sidecar"] : ["all", "default"];
  const loaded = loadProgramFile(path, { allowBytes: true, kinds: targetEvents(target) });
  const header = loaded.form === "text" ? parseCorpusFile(loaded.text ?? "", path) : undefined;
  let bugList: string[] | string = [];
  let bugsFrom: BugsFrom = "none";
  if (flags.bugs !== undefined) [bugList, bugsFrom] = [flags.bugs, flags.by === "campaign" ? "campaign" : "--bugs"];
  else if (header && header.bugs.length) [bugList, bugsFrom] = [header.bugs, "# bugs header"];
  else if (!header && sidecar && sidecar.bugs.length) [bugList, bugsFrom] = [sidecar.bugs, "sidecar"];
  const out: ResolvedInput = { path, program: loaded.program, form: loaded.form, bugs: parseBugs(bugList), bugsFrom, target, targetFrom };
  if (header) out.header = header;
  return out;
}

/** One line: what an input ran with, e.g. `raw bytes decoded with target fork-lifecycle (artifact path); bugs x (--bugs)` */
export function describeInput(r: ResolvedInput): string {
  const bugs = r.bugs.size ? `bugs ${[...r.bugs].join(",")} (${r.bugsFrom})` : `no bug switches${r.bugsFrom === "--bugs" ? " (--bugs)" : ""}`;
  return r.form === "bytes" ? `raw bytes decoded with the event table of target ${r.target} (${r.targetFrom}); ${bugs}` : `text program; ${bugs}`;
}

/** Why an input may not have fired, and how to choose otherwise. */
export function noFindingHint(r: ResolvedInput): string {
  const hints: string[] = [];
  if (r.form === "bytes")
    hints.push(`decoded with target ${r.target}'s event table (${r.targetFrom}); raw bytes mean a different program under another table: choose it with --target ${TARGETS.join("|")}`);
  if (!r.bugs.size) hints.push("no bug switch was on: switch one on with --bugs ID (see 'futex-fuzz bugs')");
  return hints.join("; ");
}
