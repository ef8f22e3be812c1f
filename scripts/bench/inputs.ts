// The bench input set: programs that real campaigns kept, as text, one file per fuzz target
// (bench/inputs/<target>.fzs, written by scripts/refresh-bench-inputs.ts). A file is a list of
// programs, each introduced by a `# == input <sha1>` comment line (sha1 of the program text); a
// program's text is the canonical print, so the file diffs and reviews like any corpus file.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TARGETS } from "../../src/program/targets.js";
import { PROJECT_ROOT } from "../../src/fuzzing/paths.js";
import { parse, print } from "../../src/program/text.js";
import type { Program } from "../../src/program/types.js";

export const BENCH_INPUTS_DIR = join(PROJECT_ROOT, "bench", "inputs");
const HEAD = "# == input ";

export interface BenchInput {
  target: string;
  id: string;
  program: Program;
}

export function inputsFile(target: string, dir = BENCH_INPUTS_DIR): string {
  return join(dir, `${target}.fzs`);
}

export function textId(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

/** Programs -> file text: deduplicated by text, in the order of their ids (stable across refreshes). */
export function formatInputs(programs: readonly Program[], header: string): string {
  const byId = new Map<string, string>();
  for (const p of programs) {
    const t = print(p);
    byId.set(textId(t), t);
  }
  const ids = [...byId.keys()].sort();
  return header + ids.map((id) => `${HEAD}${id}\n${byId.get(id)!}`).join("");
}

/** File text -> programs; a line starting `# == input` opens the next one. */
export function parseInputs(text: string, target: string, source: string): BenchInput[] {
  const out: BenchInput[] = [];
  const chunks = text.split(new RegExp(`^(?=${HEAD})`, "m"));
  for (const chunk of chunks) {
    if (!chunk.startsWith(HEAD)) continue;
    const nl = chunk.indexOf("\n");
    const id = chunk.slice(HEAD.length, nl < 0 ? undefined : nl).trim();
    out.push({ target, id, program: parse(nl < 0 ? "" : chunk.slice(nl + 1), `${source} (input ${id})`) });
  }
  return out;
}

/** Every target's inputs (targets without a file are left out); throws when there are none. */
export function loadInputs(targets: readonly string[] = TARGETS, dir = BENCH_INPUTS_DIR): BenchInput[] {
  const out: BenchInput[] = [];
  for (const t of targets) {
    const f = inputsFile(t, dir);
    if (existsSync(f)) out.push(...parseInputs(readFileSync(f, "utf8"), t, f));
  }
  if (out.length === 0) throw new Error(`no bench inputs in ${dir}: run \`node dist/scripts/refresh-bench-inputs.js\``);
  return out;
}

export function writeInputs(target: string, programs: readonly Program[], header: string, dir = BENCH_INPUTS_DIR): number {
  const text = formatInputs(programs, header);
  writeFileSync(inputsFile(target, dir), text);
  return parseInputs(text, target, inputsFile(target, dir)).length;
}
