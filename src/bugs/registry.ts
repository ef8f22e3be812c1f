// The registry of historical futex bugs that can be switched back on. Each row names the real
// commits and the mechanism; the code path it restores lives at one seam in src/kernel/.
import type { FindingKind } from "../sanitizers/report.js";

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
}

export const BUGS: readonly BugInfo[] = [];

export type BugId = string;
