// Historical bug switches: the set a run is started with. The registry (what each id restores,
// from which commits) is in registry.ts; kernel code asks `bugs.has(id)` at the ONE seam where the
// historical code path differs, and sanitizers never look at this set.
import { BUGS, isBugId, type BugId } from "./registry.js";

export type BugSet = ReadonlySet<BugId>;

export const NO_BUGS: BugSet = new Set();

export class UnknownBugError extends Error {}

/** Parse `a,b,c` (CLI --bugs, FUTEX_FUZZ_BUGS) into a set, rejecting unknown ids. */
export function parseBugs(list: string | readonly string[] | undefined): BugSet {
  const ids = (typeof list === "string" ? list.split(",") : list ?? []).map((s) => s.trim()).filter(Boolean);
  const out = new Set<BugId>();
  for (const id of ids) {
    if (!isBugId(id)) throw new UnknownBugError(`unknown bug switch '${id}' (known: ${BUGS.map((b) => b.id).join(", ") || "none"})`);
    out.add(id);
  }
  return out;
}
