// A campaign work dir as `futex-fuzz fuzz` leaves it, for the report tests: one target with a
// progress log (with one torn last line, as while the campaign writes) and a findings log naming
// two stored regressions (one logged twice), and one target without logs.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";

export const FIVE_CPUS = join(PROJECT_ROOT, "corpus/regressions/futex-ref-rcu-after-mm-free/exit-during-transition.fz");
export const ONE_CPU = join(PROJECT_ROOT, "corpus/regressions/fork-copies-phash-new/fork-while-pending.fz");

export function campaignFixture(): string {
  const work = mkdtempSync(join(tmpdir(), "ff-report-"));
  const t = join(work, "fork-lifecycle");
  mkdirSync(t, { recursive: true });
  mkdirSync(join(work, "hash-resize"));
  const progress: string[] = [];
  for (let i = 1; i <= 40; i++)
    progress.push(
      JSON.stringify({ t: i * 1.5, execs: 4200 * i, execsPerSecond: 2800 + ((i * 37) % 300), cov: 900 + Math.round(500 * (1 - 0.9 ** i)), ft: 4000 + 25 * i, corpus: 400 + 2 * i, findings: i >= 3 ? 1 : 0 }),
    );
  writeFileSync(join(t, "progress.jsonl"), progress.join("\n") + '\n{"t": 61, "execs": 17\n');
  const finding = (s: number, file: string, sig: string, title: string, isNew: boolean) =>
    JSON.stringify({ t: s, signature: sig, title, kind: sig.split(":")[0], file, new: isNew });
  writeFileSync(
    join(t, "findings.jsonl"),
    [
      finding(4, ONE_CPU, "double-free:futex_hash_free", "KASAN: double-free in futex_hash_free", true),
      finding(21.5, FIVE_CPUS, "use-after-free:futex_ref_rcu", "KASAN: slab-use-after-free in futex_ref_rcu", false),
      finding(40, ONE_CPU, "double-free:futex_hash_free", "KASAN: double-free in futex_hash_free", false),
    ].join("\n") + "\n",
  );
  return work;
}
