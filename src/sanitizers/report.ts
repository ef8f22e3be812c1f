// Findings: what a sanitizer reports, and the panic that ends a run at the first report (the
// simulated kernel runs with panic_on_warn: the first bad state is the reproducer's verdict).

export const FINDING_KINDS = [
  "refcount",
  "double-free",
  "use-after-free",
  "out-of-bounds",
  "invalid-free",
  "leak",
  "robust-corruption",
  "lost-waiter",
  "hung-task",
  "warn",
  "sleep-in-atomic",
] as const;

export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  kind: FindingKind;
  /** syzbot-style title, e.g. `KASAN: double-free in futex_hash_free` */
  title: string;
  /** simulated kernel stack, innermost frame last */
  stack: string[];
  /** index of the program event being run, or a phase around the events (src/kernel/phase.ts: -3 boot, -1 drain, -2 teardown) */
  event: number;
  /** the task (tN) on whose behalf the kernel ran, if any */
  task?: number;
  /** KASAN-style details: the object, where it was allocated and freed */
  report?: string;
}

/** Deduplication key: kind + top frame. */
export function signature(f: Pick<Finding, "kind" | "stack">): string {
  const top = f.stack.length ? f.stack[f.stack.length - 1]! : "none";
  return `${f.kind}:${top}`;
}

export function isFindingKind(s: string): s is FindingKind {
  return (FINDING_KINDS as readonly string[]).includes(s);
}

/** Thrown by a report to stop the simulated kernel; caught only by the executor. */
export class Panic extends Error {
  constructor(readonly finding: Finding) {
    super(finding.title);
    this.name = "Panic";
  }
}
