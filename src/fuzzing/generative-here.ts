// The generative engine launched in the campaign's own process: the same arguments as its
// worker process (the argv engineRun builds, after the script's path), the same libFuzzer log
// lines, the same ProcessResult. A campaign starts its first gen launch this way (portfolio.ts:
// the burst) because a fresh node process spends a few hundred milliseconds loading before its
// first execution, and random programs find the shallow bugs in fewer.
import type { EngineProcess } from "./campaign.js";
import { drive, GenerativeRun, parseGenerativeArgs } from "./generative-engine.js";
import { parseStatus, type JazzerRun, type ProcessResult, type Status } from "./jazzer.js";

const TAIL = 40;

export function startGenerativeHere(r: JazzerRun, hooks: { env: NodeJS.ProcessEnv; onStatus(s: Status): void; onLine?(line: string): void }): EngineProcess {
  const res: ProcessResult = { code: null, signal: null, execs: 0, artifacts: [], tail: [] };
  const log = (line: string) => {
    hooks.onLine?.(line);
    res.tail.push(line);
    if (res.tail.length > TAIL) res.tail.shift();
    const s = parseStatus(line);
    if (s) hooks.onStatus(s);
  };
  let run: GenerativeRun | undefined;
  const done = (async (): Promise<ProcessResult> => {
    try {
      run = new GenerativeRun(parseGenerativeArgs((r.argv ?? []).slice(1)), hooks.env, log);
      const exit = await drive(run);
      res.code = exit.code;
      res.execs = exit.execs;
      if (exit.artifact) res.artifacts.push(exit.artifact);
    } catch (e) {
      // what a crashed worker process would leave: status 1, no artifact, the error in its tail
      res.code = 1;
      res.execs = run?.execs ?? 0;
      log(`generative engine failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    return res;
  })();
  return { done, interrupt: () => run?.stop() };
}
