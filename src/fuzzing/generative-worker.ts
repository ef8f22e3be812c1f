// The generative engine's process (one per portfolio launch, src/fuzzing/portfolio.ts): the run
// of src/fuzzing/generative-engine.ts with its log on stderr, exiting 1 at its first finding (as
// libFuzzer does) and 0 at its time/runs limit or on SIGINT/SIGTERM.
//
//   node dist/src/fuzzing/generative-worker.js --target T --seed N --corpus DIR --artifacts DIR
//        [--pool DIR] [--max-total-time S] [--runs N]   (bug switches: FUTEX_FUZZ_BUGS, as the targets)
import { drive, GEN_USAGE, GenerativeRun, parseGenerativeArgs, type GenerativeArgs } from "./generative-engine.js";

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(GEN_USAGE);
  process.exit(0);
}
function argsOf(list: readonly string[]): GenerativeArgs {
  try {
    return parseGenerativeArgs(list);
  } catch (e) {
    process.stderr.write(`generative-worker: ${e instanceof Error ? e.message : String(e)}\n${GEN_USAGE}`);
    return process.exit(2);
  }
}
const run = new GenerativeRun(argsOf(argv), process.env, (line) => process.stderr.write(line + "\n"));
process.on("SIGINT", () => run.stop());
process.on("SIGTERM", () => run.stop());
const exit = await drive(run);
process.exit(exit.code);
