// The liveness watchdog of every jazzer process a campaign or a merge starts: preloaded with
// `node --import` (through NODE_OPTIONS, so libFuzzer's merge child gets it too), it starts a
// thread that checks every 200 ms that FUTEX_FUZZ_PARENT_PID (the futex-fuzz process) still runs
// and, if not, SIGKILLs the process group startJazzer gave jazzer (FUTEX_FUZZ_OWN_GROUP=1; else
// just this process). So no fuzzer outlives a killed futex-fuzz, even one killed with SIGKILL,
// from the moment node starts. A thread, because the main thread sits in libFuzzer's native code
// for seconds (jazzer --sync never returns to the event loop; a merge waits for its child);
// and not process.ppid, which node reads once at start-up.
import { Worker } from "node:worker_threads";

const parent = Number(process.env.FUTEX_FUZZ_PARENT_PID);
if (Number.isInteger(parent) && parent > 1) {
  // plain source text: nothing of jazzer's instrumentation reaches the thread
  const code = `
    const { readFileSync } = require("node:fs");
    const { workerData: { parent, target } } = require("node:worker_threads");
    // gone: no such process, or a zombie not yet reaped (/proc/PID/stat: the state follows the last ')')
    const gone = () => {
      try { process.kill(parent, 0); } catch (e) { return e.code === "ESRCH"; }
      try { const s = readFileSync("/proc/" + parent + "/stat", "utf8"); return s[s.lastIndexOf(")") + 2] === "Z"; } catch { return false; }
    };
    setInterval(() => { if (gone()) process.kill(target, "SIGKILL"); }, 200);`;
  const target = process.env.FUTEX_FUZZ_OWN_GROUP === "1" ? 0 : process.pid;
  new Worker(code, { eval: true, workerData: { parent, target } }).unref();
}
