// node dist/src/corpus/replay-main.js [DIR...]   (default: corpus/ under the current directory)
// Replays every corpus file with plain node (CI runs it under c8 for kernel coverage); prints
// each failure, then `N passed, M failed`; exit 1 on any failure, 2 when a directory is missing.
import { existsSync } from "node:fs";
import { replayCorpus } from "./replay.js";

const dirs = process.argv.slice(2);
if (dirs.length === 0) dirs.push("corpus");
const missing = dirs.filter((d) => !existsSync(d));
if (missing.length) {
  process.stderr.write(`replay: no such directory: ${missing.join(", ")}\n`);
  process.exit(2);
}
const r = replayCorpus(dirs);
for (const f of r.failures) {
  process.stdout.write(`FAIL ${f.path}\n`);
  for (const reason of f.reasons) process.stdout.write(`     ${reason.split("\n")[0]}\n`);
}
process.stdout.write(`${r.passed} passed, ${r.failed} failed\n`);
process.exitCode = r.failed ? 1 : 0;
