// Bench only (scripts/bench/instrumentation.ts): the in-process side of the replay, in a fresh
// node process like a jazzer one. `node replay-child.js REPEAT FILE...` runs the `all` target body
// (state features to jazzer.js's native tracePcIndir) on each file REPEAT times in a row, in the
// order given, and prints {"execsPerSecond": N} per CPU second of this process (user + system,
// as the jazzer side is measured), from the first execution to the last.
import { readFileSync } from "node:fs";
import { makeTarget } from "../../fuzz/target.js";
import { nativePcIndir } from "./throughput.js";

const [repeatArg, ...files] = process.argv.slice(2);
const repeat = Number(repeatArg);
if (!Number.isInteger(repeat) || repeat < 1 || files.length === 0) {
  process.stderr.write("usage: node replay-child.js REPEAT FILE...\n");
  process.exit(2);
}
const fuzz = makeTarget("all", { bugs: "", feedback: "state", pcIndir: nativePcIndir().fn });
const c0 = process.cpuUsage();
for (const f of files) {
  const b = readFileSync(f);
  for (let i = 0; i < repeat; i++) fuzz(b);
}
const c = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ execsPerSecond: (files.length * repeat) / ((c.user + c.system) / 1e6) }) + "\n");
