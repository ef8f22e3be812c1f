// Differential check: run a program on the simulator and on the reference model and compare every
// syscall's return value (loads included, so memory words are compared too).
//
// The seam: `compare(program, { simulate })` takes the simulator as a function, so a test can
// wrap it (e.g. corrupt a verdict) and prove the check notices. `model` options carry the model's
// own test-only faults.
import { execute, type SyscallResult } from "../exec/executor.js";
import { print } from "../program/text.js";
import type { Program } from "../program/types.js";
import { reference, type ModelOptions, type ModelSyscall } from "./reference.js";

export interface SimVerdict {
  syscalls: SyscallResult[];
  findings: readonly { kind: string; title: string }[];
  stats?: { limit: boolean };
}

export type Simulate = (p: Program) => SimVerdict;

export const simulate: Simulate = (p) => execute(p);

export interface CompareOptions {
  simulate?: Simulate;
  model?: ModelOptions;
}

export interface Mismatch {
  /** index in the syscall lists where they first differ */
  index: number;
  sim: SyscallResult | null;
  model: ModelSyscall | null;
  why: string;
}

export interface Comparison {
  mismatch: Mismatch | null;
  /** findings on the simulator (the fixed kernel must have none) */
  findings: readonly { kind: string; title: string }[];
  /** the model declined the program (not sequential) */
  unsupported?: string;
  sim: SyscallResult[];
  model: ModelSyscall[];
}

const show = (r: number | null): string => (r === null ? "null" : String(r));

export function retMatches(m: ModelSyscall, ret: number | null): boolean {
  return m.ret === ret || (m.alt ?? []).includes(ret);
}

export function compare(p: Program, opts: CompareOptions = {}): Comparison {
  const v = (opts.simulate ?? simulate)(p);
  const mv = reference(p, opts.model);
  const out: Comparison = { mismatch: null, findings: v.findings, sim: v.syscalls, model: mv.syscalls };
  if (mv.unsupported) {
    out.unsupported = mv.unsupported;
    return out;
  }
  const n = Math.max(v.syscalls.length, mv.syscalls.length);
  for (let i = 0; i < n; i++) {
    const s = v.syscalls[i] ?? null;
    const m = mv.syscalls[i] ?? null;
    let why: string | null = null;
    if (!s) why = `the simulator skipped t${m!.task} ${m!.event} (model: ${show(m!.ret)})`;
    else if (!m) why = `the model skipped t${s.task} ${s.event} (simulator: ${show(s.ret)})`;
    else if (s.task !== m.task || s.event !== m.event)
      why = `different syscalls: simulator t${s.task} ${s.event}, model t${m.task} ${m.event}`;
    else if (!retMatches(m, s.ret))
      why = `t${s.task} ${s.event}: simulator ${show(s.ret)}, model ${[m.ret, ...(m.alt ?? [])].map(show).join(" or ")}`;
    if (why) {
      out.mismatch = { index: i, sim: s, model: m, why };
      break;
    }
  }
  return out;
}

/** A readable report of a comparison: the program and both columns. */
export function explain(p: Program, c: Comparison): string {
  const lines = [print(p).trimEnd(), "--"];
  const n = Math.max(c.sim.length, c.model.length);
  for (let i = 0; i < n; i++) {
    const s = c.sim[i];
    const m = c.model[i];
    const mark = c.mismatch?.index === i ? "  <-- " + c.mismatch.why : "";
    lines.push(
      `${s ? `t${s.task} ${s.event} = ${show(s.ret)}` : "-"} | model ${m ? show(m.ret) + (m.alt ? ` (or ${m.alt.map(show).join(",")})` : "") : "-"}${mark}`,
    );
  }
  if (c.findings.length) lines.push(`findings: ${c.findings.map((f) => f.title).join("; ")}`);
  return lines.join("\n");
}
