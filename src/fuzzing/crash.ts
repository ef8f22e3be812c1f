// A campaign's crash artifact, triaged: decoded with the campaign's target table and run once
// under its switches (the benchmark's engines use this too). Minimizing, storing and printing
// are the one crash intake's (src/corpus/intake.ts).
import type { BugSet } from "../bugs/switches.js";
import { triageFile, type Triage } from "../corpus/intake.js";

export type { Triage };

export function triageArtifact(artifact: string, target: string, bugs: BugSet): Triage {
  return triageFile(artifact, { target, bugs: [...bugs].join(",") });
}
