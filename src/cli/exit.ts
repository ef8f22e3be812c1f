// The exit-status contract of every futex-fuzz command.
export const EXIT = {
  /** ran, nothing found */
  clean: 0,
  /** a finding (new or known) */
  finding: 1,
  /** usage or input error: one line naming the file or option and the cause */
  usage: 2,
  /** harness or engine failure, including "no verdict: step budget exhausted" */
  harness: 3,
  /** interrupted (Ctrl-C) */
  interrupted: 130,
} as const;

export const EXIT_HELP = "exit status: 0 clean, 1 finding, 2 usage or input error, 3 harness or engine failure (incl. no verdict), 130 interrupted";

/** The status of several results: the most severe wins (130 > 3 > 2 > 1 > 0). */
export function worst(...codes: number[]): number {
  const rank: readonly number[] = [EXIT.clean, EXIT.finding, EXIT.usage, EXIT.harness, EXIT.interrupted];
  return codes.reduce((a, c) => (rank.indexOf(c) > rank.indexOf(a) ? c : a), EXIT.clean);
}
