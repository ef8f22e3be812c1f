// Where a run is, as the `event` of a trace entry, a finding or a KASAN stack: a program event
// (its index, >= 0) or one of the phases around the events. Set by the executor, read here.
export const PHASE = {
  /** start_kernel and the first process, before event 0 */
  boot: -3,
  /** after the last event: everything that can still run runs */
  drain: -1,
  /** every thread group killed, RCU and deferred work run to the end */
  teardown: -2,
} as const;

export type PhaseName = keyof typeof PHASE;

/** The phase an event number stands for; null for a program event. */
export function phaseOf(event: number): PhaseName | null {
  if (event >= 0) return null;
  return event === PHASE.drain ? "drain" : event === PHASE.teardown ? "teardown" : "boot";
}
