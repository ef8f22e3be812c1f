// futex-fuzz kernel-diff [FILES|DIRS] [--random N] [--seed S] [--out DIR] [--json]
import { EXIT, worst } from "./exit.js";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseCorpusFile } from "../corpus/file.js";
import { listCorpusFiles } from "../corpus/walk.js";
import { loadProgramFile } from "../program/load.js";
import type { Program } from "../program/types.js";
import { HostUnavailable, runnerBinary } from "../host/build.js";
import { describeDiff, diffProgram, writeDifference, type ProgramDiff } from "../host/diff.js";
import { randomHostProgram } from "../host/random.js";
import { HOST_RULES } from "../host/rules.js";
import { HostRunError, hostCpus } from "../host/runner.js";
import { intFlag, parseArgs, strFlag, UsageError } from "./args.js";
import type { Io } from "./main.js";

export const KERNEL_DIFF_HELP = `usage: futex-fuzz kernel-diff [FILES|DIRS] [--random N] [--seed S] [--out DIR] [--json]

Run programs on the simulator (the fixed model: a file's '# bugs' header is ignored) and on the
running Linux kernel (native/futex-runner.c, built with cc on first use, run as root in its own
pid, mount and network namespaces), and compare them event by event: return values, calls left
blocked, and the final user words of the live processes. Known differences between the modelled
v7.2 and the host are named rules (docs/host-rules.md), counted, never ignored wholesale.
Programs the host cannot run exactly (@k stops, step, irq, fail_alloc, another CPU count) are
skipped with the reason.

  --random N   also diff N random host-runnable programs; each difference is minimized and
               written to --out as a program whose '# expect ret' lines are the host's values
  --seed S     seed of the random programs (default 1)
  --out DIR    where minimized differences go (default .fuzz-out/kernel-diff)
  --json       print one JSON object instead of text (counts, rules, programs/s, and every
               program that did not agree, with the reason)

exit status: 0 all agree, 1 a difference, 2 usage error, 3 the host cannot run programs (or a host run
failed twice)
`;

interface Totals {
  agree: number;
  differ: number;
  skipped: number;
  errors: number;
  /** host runs that failed once and were run again */
  retried: number;
  rules: Record<string, number>;
}

export function kernelDiffCommand(argv: string[], io: Io): number {
  const a = parseArgs(argv, { random: { value: true }, seed: { value: true }, out: { value: true }, json: { value: false }, help: { value: false } }, { "-h": "--help" });
  if (a.flags.has("help")) return io.out(KERNEL_DIFF_HELP), 0;
  const nRandom = intFlag(a, "random", 0);
  const seed = intFlag(a, "seed", 1);
  const out = strFlag(a, "out") ?? join(".fuzz-out", "kernel-diff");
  const files = listCorpusFiles(a.positional);
  if (a.positional.length && !files.length) throw new UsageError(`no .fz files in ${a.positional.join(" ")}`);
  if (!files.length && !nRandom) throw new UsageError("kernel-diff needs FILES/DIRS or --random N");
  const json = a.flags.has("json");
  let bin: string;
  try {
    bin = runnerBinary();
  } catch (e) {
    if (e instanceof HostUnavailable) return io.err(`futex-fuzz kernel-diff: host cannot run programs: ${e.message}\n`), 3;
    throw e;
  }
  const cpus = hostCpus();
  const t: Totals = { agree: 0, differ: 0, skipped: 0, errors: 0, retried: 0, rules: Object.fromEntries(HOST_RULES.map((r) => [r.name, 0])) };
  const report: { name: string; status: string; details: string[] }[] = [];
  const written: string[] = [];
  const say = (s: string): void => void (json || io.out(s));
  say(`[kernel-diff] host: ${cpus} CPUs; comparing with the fixed model ('# bugs' headers are ignored)\n`);
  const one = (name: string, p: Program, store: boolean): void => {
    let d: ProgramDiff;
    try {
      try {
        d = diffProgram(p, bin, cpus);
      } catch (e) {
        if (!(e instanceof HostRunError)) throw e;
        d = diffProgram(p, bin, cpus); // once more: a busy machine can starve a run
        t.retried++;
      }
      // a difference is confirmed by a second host run: on a busy machine the runner can reach
      // quiescence before a woken task was scheduled (seen in CI with vitest's files in parallel)
      if (d.status === "differ") {
        t.retried++;
        try {
          const again = diffProgram(p, bin, cpus);
          if (again.status !== "differ") d = again;
        } catch (e) {
          if (!(e instanceof HostRunError)) throw e;
        }
      }
    } catch (e) {
      if (!(e instanceof HostRunError)) throw e;
      t.errors++;
      report.push({ name, status: "error", details: [e.message] });
      say(`error   ${name}: ${e.message}\n`);
      return;
    }
    if (d.status === "skipped") t.skipped++;
    else {
      t[d.status]++;
      for (const [r, n] of d.applied) t.rules[r] = (t.rules[r] ?? 0) + n;
    }
    const details = describeDiff(p, d);
    if (d.status !== "agree") report.push({ name, status: d.status, details });
    if (d.status === "differ" || (d.status === "skipped" && files.length && name !== "random")) {
      say(`${d.status.padEnd(7)} ${name}${d.status === "skipped" ? `: ${details[0]!.slice(9)}` : ""}\n`);
      if (d.status === "differ") for (const l of details) say(`          ${l}\n`);
    }
    if (d.status === "differ" && store) {
      const path = writeDifference(out, p, bin, cpus);
      written.push(path);
      say(`          minimized: ${path}\n`);
    }
  };
  const t0 = performance.now();
  try {
    for (const f of files) one(f, parseCorpusFile(loadProgramText(f), f).program, false);
    for (let i = 0; i < nRandom; i++) one(`random seed ${seed} #${i}`, randomHostProgram(seed, i, cpus), true);
  } catch (e) {
    if (e instanceof HostUnavailable) return io.err(`futex-fuzz kernel-diff: host cannot run programs: ${e.message}\n`), 3;
    throw e;
  }
  const secs = (performance.now() - t0) / 1000;
  const ran = t.agree + t.differ;
  const rate = ran / secs;
  if (json) io.out(JSON.stringify({ note: "compared with the fixed model: '# bugs' headers are ignored", hostCpus: cpus, ...t, seconds: secs, programsPerSecond: rate, written, programs: report }) + "\n");
  else {
    io.out(`[kernel-diff] ${ran} programs diffed in ${secs.toFixed(1)}s (${rate.toFixed(1)} programs/s): ${t.agree} agree, ${t.differ} differ; ${t.skipped} skipped, ${t.errors} host errors (${t.retried} runs retried)\n`);
    io.out(`[kernel-diff] host-version rules applied: ${Object.entries(t.rules).map(([r, n]) => `${r} ${n}`).join(", ")}\n`);
  }
  // a difference is a finding (1); a host run that failed twice is a harness failure (3)
  return worst(t.differ ? EXIT.finding : EXIT.clean, t.errors ? EXIT.harness : EXIT.clean);
}

function loadProgramText(path: string): string {
  return loadProgramFile(path).text ?? "";
}
