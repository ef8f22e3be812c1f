// The generative engine launched in the campaign's own process: the same arguments as its
// worker process (the argv engineRun builds, after the script's path), the same libFuzzer log
// lines, the same ProcessResult. A campaign starts its first gen launch this way (portfolio.ts:
// the burst) because a fresh node process spends a few hundred milliseconds loading before its
// first execution, and random programs find the shallow bugs in fewer.
import type { EngineProcess } from "./campaign.js";
import { drive, GenerativeRun, parseGenerativeArgs } from "./generative-engine.js";
import { logReader, type JazzerRun, type ProcessResult, type Status } from "./jazzer.js";

export function startGenerativeHere(
  r: JazzerRun,
  hooks: { env: NodeJS.ProcessEnv; onStatus(s: Status): void; onLine?(line: string): void; beforeCorpus?(): void },
): EngineProcess {
  // its result is read from its log, as a process's is: executions, artifacts, last lines
  const res: ProcessResult = { code: null, signal: null, execs: 0, artifacts: [], tail: [] };
  const { onLine, finalExecs } = logReader(res, hooks);
  let run: GenerativeRun | undefined;
  const done = (async (): Promise<ProcessResult> => {
    try {
      run = new GenerativeRun(parseGenerativeArgs((r.argv ?? []).slice(1)), hooks.env, onLine, hooks.beforeCorpus);
      res.code = (await drive(run)).code;
    } catch (e) {
      // what a crashed worker process would leave: status 1, no artifact, the error in its tail
      res.code = 1;
      onLine(`generative engine failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    res.execs = finalExecs() ?? run?.execs ?? res.execs;
    return res;
  })();
  return { done, interrupt: () => run?.stop() };
}
