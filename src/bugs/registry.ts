// The registry of historical futex bugs that can be switched back on. Each row names the real
// commits and the mechanism, and installs the historical code path at ONE seam of the kernel
// (src/kernel/seams.ts). Sanitizers never see this table.
import type { FindingKind } from "../sanitizers/report.js";
import type { Seams } from "../kernel/seams.js";
import { futex_fixup_robust_unlock_pre_7010c39d } from "../kernel/futex/robust_unlock.js";
import { HASH_MM_BUGS } from "./hash_mm.js";
import { FUTEX2_BUGS } from "./futex2.js";
import { LIFECYCLE_BUGS } from "./lifecycle.js";
import { PI_BUGS } from "./pi.js";
import { ROBUST_BUGS } from "./robust.js";

export interface BugInfo {
  id: string;
  title: string;
  introduced: string;
  fixed: string;
  /** the finding kinds expected to fire with the switch on */
  expect: readonly FindingKind[];
  mechanism: string;
  /** which parts of the mechanism are inferred rather than read from a primary source */
  inferred?: string;
  /** the historical code path, at one seam */
  seams: Partial<Seams>;
}

const BUG_ROWS = [
  {
    id: "robust-unlock-no-ip-fixup",
    title: "robust unlock interrupted after its cmpxchg leaves list_op_pending set",
    introduced: "(robust futexes, 2.6.17; the user-space protocol race)",
    fixed: "7010c39d8fc5 futex: Provide infrastructure to plug the non contended robust futex unlock race",
    expect: ["robust-corruption"],
    mechanism:
      "The uncontended robust unlock is a user-space cmpxchg(TID->0) followed by a store clearing " +
      "list_op_pending. A thread killed between the two still has op_pending naming the mutex; " +
      "another thread takes and frees it, the page is unmapped and a file mapped at the address. " +
      "exit_robust_list then handles the stale pending entry: the word there holds the dying TID, " +
      "so handle_futex_death writes FUTEX_OWNER_DIED into the file's data. v7.2 clears op_pending " +
      "on the way back to user space when the task was interrupted inside the vDSO unlock range " +
      "with ZF set; this switch restores the exit-to-user path without that fixup.",
    seams: { robustUnlockFixup: futex_fixup_robust_unlock_pre_7010c39d },
  },
  ...HASH_MM_BUGS,
  ...FUTEX2_BUGS,
  ...LIFECYCLE_BUGS,
  ...PI_BUGS,
  ...ROBUST_BUGS,
] as const satisfies readonly BugInfo[];

/** The id of a bug switch of the registry. */
export type BugId = (typeof BUG_ROWS)[number]["id"];

export const BUGS: readonly (BugInfo & { id: BugId })[] = BUG_ROWS;

export function isBugId(id: string): id is BugId {
  return BUGS.some((b) => b.id === id);
}

export function bugInfo(id: string): BugInfo | undefined {
  return BUGS.find((b) => b.id === id);
}

/** The seams of a run: v7.2 everywhere except where a switched-on bug installs its path. */
export function seamsFor(bugs: Iterable<string>): Partial<Seams> {
  const out: Partial<Seams> = {};
  for (const id of bugs) {
    const b = bugInfo(id);
    if (!b) throw new Error(`unknown bug switch '${id}'`);
    for (const key of Object.keys(b.seams)) {
      if (key in out) throw new Error(`bug switches disagree at seam ${key}: '${id}' and another switch both replace it`);
    }
    Object.assign(out, b.seams);
  }
  return out;
}
