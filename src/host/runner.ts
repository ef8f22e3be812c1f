// Run a planned program on the host kernel through the native runner, and read its answer in the
// simulator's terms: per-syscall results in program order, and the final user words.
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import type { SyscallResult } from "../exec/executor.js";
import { printEventBody } from "../program/text.js";
import type { Program } from "../program/types.js";
import { HostUnavailable, runnerBinary } from "./build.js";
import type { HostPlan } from "./plan.js";

/** Final user words: `tN@addr` (tN the lowest live task of the process) -> value. */
export type Words = Map<string, number>;

export interface HostRun {
  syscalls: SyscallResult[];
  /** program index of each entry of `syscalls` */
  index: number[];
  words: Words;
  /** events the runner skipped (the simulator's preconditions): index -> reason */
  skipped: Map<number, string>;
}

/** The runner could not finish this program (timeout, a settle that never came): no verdict. */
export class HostRunError extends Error {}

export const HOST_TIMEOUT_MS = 90_000;

/** The host's online CPUs, which the kernel sizes the private hash by (not this process's affinity). */
export function hostCpus(): number {
  return cpus().length;
}

export function wordKey(task: number, addr: number): string {
  return `t${task}@0x${addr.toString(16)}`;
}

export function runOnHost(p: Program, plan: HostPlan, bin: string = runnerBinary()): HostRun {
  const r = spawnSync(bin, [], { input: plan.input, encoding: "utf8", timeout: HOST_TIMEOUT_MS, killSignal: "SIGTERM", maxBuffer: 1 << 20 });
  if (r.error) throw new HostRunError(`runner: ${r.error.message}`);
  const out: HostRun = { syscalls: [], index: [], words: new Map(), skipped: new Map() };
  const lines = r.stdout.split("\n").filter(Boolean);
  for (const l of lines) {
    const [tag, a, b, c] = l.split(" ");
    if (tag === "X") throw new HostUnavailable(l.slice(2));
    if (tag === "T") throw new HostRunError(`runner: ${l.slice(2)}`);
    if (tag === "S") out.skipped.set(Number(a), l.split(" ").slice(2).join(" "));
    if (tag === "W") out.words.set(wordKey(Number(a), Number(b)), Number(c) >>> 0);
    if (tag === "R") {
      const i = Number(a);
      const ev = p.events[i]!;
      out.index.push(i);
      out.syscalls.push({ task: ev.task ?? 0, event: printEventBody(ev), ret: b === "null" ? null : Number(b) });
    }
  }
  if (r.status === 3) throw new HostUnavailable(r.stderr.trim() || "the runner cannot run programs here");
  if (r.status !== 0 || lines[lines.length - 1] !== "END")
    throw new HostRunError(`runner exited with status ${r.status ?? r.signal}${r.stderr ? `: ${r.stderr.trim()}` : ""}`);
  return out;
}
