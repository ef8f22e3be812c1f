// A campaign's machine-readable log, read by `futex-fuzz report`:
//   WORK/<target>/progress.jsonl  one object per progress tick:
//     {"t": seconds since start, "execs", "execsPerSecond", "cov", "ft", "corpus", "findings"}
//   WORK/<target>/findings.jsonl  one object per finding:
//     {"t", "signature", "title", "kind", "file": the stored .fz, "new": bool, "source": the artifact}
// Both are started afresh by each campaign on the work dir.
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isFinding, type Outcome } from "../corpus/outcome.js";
import type { Totals } from "./progress.js";

export class CampaignLog {
  readonly progressPath: string;
  readonly findingsPath: string;

  constructor(
    root: string,
    private readonly start: number,
  ) {
    this.progressPath = join(root, "progress.jsonl");
    this.findingsPath = join(root, "findings.jsonl");
    writeFileSync(this.progressPath, "");
    writeFileSync(this.findingsPath, "");
  }

  private t(now: number): number {
    return Math.round(now - this.start) / 1000;
  }

  progress(now: number, t: Totals, findings: number): void {
    const secs = (now - this.start) / 1000;
    const line = { t: this.t(now), execs: t.execs, execsPerSecond: secs > 0 ? Math.round(t.execs / secs) : 0, cov: t.cov, ft: t.ft, corpus: t.corp, findings };
    appendFileSync(this.progressPath, JSON.stringify(line) + "\n");
  }

  finding(now: number, o: Outcome): void {
    if (!isFinding(o)) return;
    const line = { t: this.t(now), signature: o.signature, title: o.title, kind: o.findingKind, file: o.path ?? null, new: o.kind === "new", source: o.source };
    appendFileSync(this.findingsPath, JSON.stringify(line) + "\n");
  }
}
