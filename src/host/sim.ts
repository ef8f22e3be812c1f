// The simulator's side of a kernel diff: the fixed model's results and, at quiescence (every
// event run, the kernel drained, before teardown), the user words the host run reads back.
import { execute, type Verdict } from "../exec/executor.js";
import type { Kernel } from "../kernel/kernel.js";
import { OBS } from "../kernel/hooks.js";
import type { Event, Program } from "../program/types.js";
import { wordKey, type Words } from "./runner.js";
import { locksPid1, PID1_LOCK, refusedRobustUnlock } from "./diverge.js";

export interface SimRun {
  verdict: Verdict;
  words: Words;
  /** why the host cannot follow this run from some event on (diverge.ts); null when it can */
  parts: string | null;
}

function readWords(k: Kernel, addrs: readonly number[], into: Words): void {
  const seen = new Set<object>();
  const live = [...k.tasks.values()].filter((t) => t.state !== "exited" && t.mm).sort((a, b) => a.id - b.id);
  for (const t of live) {
    const mm = t.mm!;
    if (seen.has(mm)) continue;
    seen.add(mm);
    for (const a of addrs) {
      const v = mm.as.read(a);
      if (v !== null) into.set(wordKey(t.id, a), v >>> 0);
    }
  }
}

/**
 * The host's schedule for dying threads, in the simulator's terms. The simulator runs a task only
 * when an event or a wait needs it, so threads killed by `signal kill` or by an exec's de_thread
 * may sit half-way out while later events run (a legal, slow schedule the fuzzer relies on). On
 * the host they die at once. So the simulator gets `run tM` for every thread of the killed group
 * right after the kill (and after the exec, the exec'ing thread last), which is the host's order;
 * likewise `run tN` after `signal tN usr1` (a signalled sleeper runs, and leaves its queue, at once).
 * Thread groups are followed statically: spawn joins the spawner's group, fork starts one.
 */
export function eagerExits(p: Program): Program {
  const group = new Map<number, number>([[0, 0]]);
  const events: Event[] = [];
  const run = (task: number): Event => ({ op: "run", task, args: {} });
  for (const ev of p.events) {
    events.push(ev);
    const t = ev.task;
    if (t === undefined) continue;
    if (ev.op === "spawn" || ev.op === "fork" || ev.op === "spawn_cleartid" || ev.op === "clone_vm" || ev.op === "vfork") {
      const child = ev.args.child;
      const thread = ev.op === "spawn" || ev.op === "spawn_cleartid";
      if (!group.has(child)) group.set(child, thread ? group.get(t) ?? t : 100 + child);
      continue;
    }
    if (ev.op === "hash_set_slots") {
      // the host's RCU runs in the background and a SET_SLOTS waiting for its pivot returns
      // soon: the runner lets it finish before the next event, the simulator gets grace periods
      events.push({ op: "gp", args: {} }, { op: "gp", args: {} }, run(t));
      continue;
    }
    if (ev.op === "timeout") {
      // the host's timer fires at its (short) expiry and the waiter returns at once
      events.push(run(t));
      continue;
    }
    if (ev.op === "sigstop") {
      // SIGCONT lets every stopped thread of the process go on at once (restarting its call)
      const g = group.get(t);
      for (const [m, gm] of [...group].sort((a, b) => a[0] - b[0])) if (gm === g) events.push(run(m));
      continue;
    }
    if (ev.op === "signal" && ev.args.sig === "usr1") {
      // the host runs the signalled task at once: an interrupted wait leaves its queue (-EINTR)
      // before a later wake could find it
      events.push(run(t));
      continue;
    }
    const killsGroup = (ev.op === "signal" && ev.args.sig === "kill") || (ev.op === "exec" && !ev.args.fail);
    if (!killsGroup || !group.has(t)) continue;
    const g = group.get(t);
    for (const [m, gm] of [...group].sort((a, b) => a[0] - b[0])) if (gm === g && m !== t) events.push(run(m));
    events.push(run(t));
  }
  return { cpus: p.cpus, events };
}

/** Run on the fixed model (no bug switches: kernel-diff compares the host with the fixed kernel). */
export function runOnSim(p: Program, addrs: readonly number[]): SimRun {
  const words: Words = new Map();
  const q = eagerExits(p);
  let pid1 = false;
  const verdict = execute(q, {
    kernel: {
      observer: (k) => (site) => {
        if (site === OBS.QUIESCENT) readWords(k, addrs, words);
        else if (site === OBS.EVENT && !pid1) pid1 = locksPid1(k, q.events[k.eventIndex]);
      },
    },
  });
  return { verdict, words, parts: pid1 ? PID1_LOCK : refusedRobustUnlock(verdict) };
}
