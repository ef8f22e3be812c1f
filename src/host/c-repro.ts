// A standalone C reproducer of a program: the native runner (native/futex-runner.c) with the
// program built in. A kernel developer builds it with `cc -pthread` and runs it as root on a test
// kernel; it prints the same R/S/W lines as the runner. Events a real CPU cannot replay exactly
// become comments that say the nearest real-world way to provoke them.
import { argValues } from "../program/events.js";
import { readFileSync } from "node:fs";
import { execute } from "../exec/executor.js";
import { printEvent, print } from "../program/text.js";
import type { Event, Program } from "../program/types.js";
import { RUNNER_SOURCE } from "./build.js";
import { planHost } from "./plan.js";

const NEAREST: Record<string, (ev: Event) => string> = {
  step: () => "preemption points do not exist on a real CPU: run the racing calls in loops on separate threads (and CPUs) so that one lands inside the other's window",
  irq: (ev) =>
    `interrupt user mode inside the robust unlock after instruction ${argValues(ev)[0]} with ${argValues(ev)[1]} pending: loop robust lock/unlock on t${ev.task} while another thread sends it the signal (tgkill, or a timer_create(SIGEV_THREAD_ID) timer)`,
  fail_alloc: (ev) =>
    `make the ${argValues(ev)[0]}th allocation fail: CONFIG_FAULT_INJECTION + CONFIG_FAILSLAB, write ${argValues(ev)[0]} to /proc/self/task/<TID>/fail-nth of the task before its next call (or /sys/kernel/debug/failslab with probability 100 and times 1)`,
};

/** The events a real CPU replays, with a note for each one it cannot. */
function replayable(p: Program): { program: Program; notes: string[] } {
  const notes: string[] = [];
  const events: Event[] = [];
  p.events.forEach((ev, i) => {
    const near = NEAREST[ev.op];
    if (near) return void notes.push(`event ${i + 1} '${printEvent(ev)}' left out: ${near(ev)}`);
    if (ev.stop !== undefined && ev.stop > 0) {
      notes.push(`event ${i + 1} '${printEvent(ev)}' runs to completion here: the simulator stopped it after ${ev.stop} preemption points; race it from another thread in a loop to hit that window`);
      const { stop: _stop, ...whole } = ev;
      return void events.push(whole);
    }
    events.push(ev);
  });
  return { program: { cpus: p.cpus, events }, notes };
}

function cString(s: string): string {
  return s
    .split("\n")
    .filter(Boolean)
    .map((l) => `  "${l.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}\\n"`)
    .join("\n");
}

export function cReproducer(p: Program, title?: string): string {
  let { program: q, notes } = replayable(p);
  let planned = planHost(q, q.cpus);
  if ("skip" in planned) {
    // an @0 the host cannot place at a `run`: it runs where it stands
    notes.push(`${planned.skip}: every call runs to completion where it stands`);
    q = { cpus: q.cpus, events: q.events.map(({ stop: _stop, ...e }) => e) };
    planned = planHost(q, q.cpus);
  }
  if ("skip" in planned) throw new Error(`cannot write a reproducer: ${planned.skip}`);
  const sim = execute(p).syscalls.map((s) => `t${s.task} ${s.event} = ${s.ret ?? "none"}`);
  const comment = [
    `futex-fuzz reproducer${title ? `: ${title}` : ""}`,
    "",
    "Build: cc -pthread -o repro repro.c      Run, as root, on the kernel under test: ./repro",
    "It runs the program below on the running kernel (its own pid/mount/net namespaces, TIDs",
    "1000+N, regions at 0x10000000 + 4096*N) and prints R IDX RET per call (IDX counts from 0,",
    "null: never returned), S IDX WHY per skipped event, W TASK ADDR VALUE per final word.",
    `The auto-scaled private hash depends on the online CPUs: the program was written for ${p.cpus}.`,
    "",
    "Program:",
    ...print(p).trimEnd().split("\n").map((l) => `  ${l}`),
    "",
    // the runner's event numbers (R IDX, S IDX) count the events it replays
    ...(q.events.length !== p.events.length ? ["As replayed (the numbers R and S print count these):", ...print(q).trimEnd().split("\n").map((l) => `  ${l}`), ""] : []),
    ...(notes.length ? ["Not replayed exactly:", ...notes.map((n) => `  - ${n}`), ""] : []),
    "What the simulated v7.2 kernel returned:",
    ...sim.map((l) => `  ${l}`),
  ];
  const header = `/*\n${comment.map((l) => ` * ${l.replace(/\*\//g, "* /")}`.trimEnd()).join("\n")}\n */\n`;
  const labels = q.events.map((ev) => `  "${printEvent(ev)}",`).join("\n");
  const program = [
    `static const char futex_runner_program[] =\n${cString(planned.plan.input)};`,
    `static const char *const futex_runner_labels[] = {\n${labels}\n};`,
    "#define FUTEX_RUNNER_PROGRAM futex_runner_program",
    "#define FUTEX_RUNNER_LABELS futex_runner_labels",
    "",
  ].join("\n");
  return `${header}${program}\n${readFileSync(RUNNER_SOURCE, "utf8")}`;
}
