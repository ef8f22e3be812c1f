// The control events (DESIGN §4): one handler per control-form kind of the event registry. They
// steer the scheduler or the machine; the executor counts each as an event and hands it here.
import type { ArgsOf, ControlName, Event, EventOf } from "../program/events.js";
import type { Kernel } from "../kernel/kernel.js";
import { OBS } from "../kernel/hooks.js";
import { signal_task } from "../kernel/entry.js";
import { futex_timeout_expires } from "../kernel/futex/timeout.js";
import { irq_awaits_insn, irq_from_user, irq_precondition } from "../kernel/irq.js";
import type { Task } from "../kernel/task.js";
import type { Scheduler } from "./scheduler.js";

/** What a control handler may use: the machine, and the executor's handling of events. */
export interface ControlCtx {
  readonly k: Kernel;
  readonly sched: Scheduler;
  /** skip the event, giving the reason (a note in the trace) */
  skip(ev: Event, why: string | (() => string)): void;
  /** the event's task operand, or null (the event is skipped) when it does not exist */
  live(ev: Event): Task | null;
}

export interface Control<N extends ControlName> {
  run(c: ControlCtx, ev: EventOf<N>): void;
}

/** A handler of an event with a task operand: skipped when the task does not exist. */
function onTask<N extends ControlName>(f: (c: ControlCtx, ev: EventOf<N>, t: Task) => void): Control<N> {
  return {
    run(c, ev) {
      const t = c.live(ev);
      if (t) f(c, ev, t);
    },
  };
}

/** `step tN k` and `run tN`: run a task that is in the kernel `points` more points. */
function runTask(c: ControlCtx, ev: Event, t: Task, points: number): void {
  if (t.state !== "busy") return c.skip(ev, () => `${t.name} is in user space`);
  c.sched.runUntil(t, points);
}

/**
 * `irq tN k SIG`: run tN's robust unlock until user instruction k is done (if it is not past
 * it), then interrupt user mode there with SIG pending. A task in user space outside any
 * robust unlock just gets the signal.
 */
function irq(c: ControlCtx, ev: EventOf<"irq">, t: Task): void {
  const { insn, sig }: ArgsOf<"irq"> = ev.args;
  const why = irq_precondition(t);
  if (why) return c.skip(ev, why);
  if (!c.sched.runWhile(t, () => irq_awaits_insn(t, insn)))
    return c.skip(ev, () => `${t.name} is blocked in ${c.sched.blockedLabel(t) ?? "the kernel"}`);
  if (t.state === "exited") return c.skip(ev, () => `${t.name} has exited`);
  c.k.hooks.observe?.(OBS.IRQ, t);
  irq_from_user(c.k, t, sig);
}

/** One handler per control-form event kind (a missing one is a type error). */
export const CONTROLS: { [N in ControlName]: Control<N> } = {
  gp: { run: (c) => c.sched.gpEvent() },
  fail_alloc: {
    run: (c, ev) => {
      c.k.heap.failNth = ev.args.nth;
    },
  },
  step: onTask((c, ev, t) => runTask(c, ev, t, ev.args.points)),
  run: onTask((c, ev, t) => runTask(c, ev, t, Infinity)),
  cpu: onTask((c, ev, t) => {
    const { cpu } = ev.args;
    if (cpu >= c.k.cpus) return c.skip(ev, () => `cpu ${cpu} does not exist`);
    if (t.preemptCount > 0) return c.skip(ev, () => `${t.name} has preemption disabled`);
    t.cpu = cpu;
  }),
  signal: onTask((_c, ev, t) => signal_task(t, ev.args.sig)),
  timeout: onTask((c, ev, t) => {
    if (!futex_timeout_expires(t)) c.skip(ev, () => `${t.name} has no timed wait in flight`);
  }),
  sigstop: onTask((_c, _ev, t) => signal_task(t, "stop")),
  irq: onTask(irq),
};

/** The handlers by name: a Map lookup, not a keyed load of CONTROLS (megamorphic, per event). */
const CONTROL_BY_OP: ReadonlyMap<string, Control<ControlName>> = new Map(Object.entries(CONTROLS));

/** Run control event `ev`. */
export function runControl<N extends ControlName>(c: ControlCtx, ev: EventOf<N>): void {
  const handler: Control<N> | undefined = CONTROL_BY_OP.get(ev.op);
  handler!.run(c, ev);
}
