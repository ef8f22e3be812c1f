// The host kernel as oracle: the native runner, the plan of what the host can run, the diff and
// its rules, and that no input leaves a process behind. These tests run programs on the real
// kernel (root, Linux with PR_FUTEX_HASH); FUTEX_FUZZ_NO_HOST=1 leaves them out explicitly.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { runnerBinary } from "../src/host/build.js";
import { diffRuns } from "../src/host/compare.js";
import { diffProgram, writeDifference } from "../src/host/diff.js";
import { parseCorpusFile } from "../src/corpus/file.js";
import { planHost } from "../src/host/plan.js";
import { randomHostProgram } from "../src/host/random.js";
import { hostCpus, runOnHost } from "../src/host/runner.js";
import { eagerExits, runOnSim } from "../src/host/sim.js";
import { parse, print } from "../src/program/text.js";

const useHost = process.env.FUTEX_FUZZ_NO_HOST !== "1";
const bin = useHost ? runnerBinary() : "";
const CPUS = hostCpus();
const prog = (text: string) => parse(`config cpus=${CPUS}\n${text}`);

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

function pids(): number[] {
  return readdirSync("/proc").filter((d) => /^[0-9]+$/.test(d)).map(Number);
}

function readOr(path: string, f: (p: string) => string): string | null {
  try {
    return f(path);
  } catch {
    return null; // gone
  }
}

/** The processes in one pid namespace (each run has its own). */
function inNamespace(ns: string): number[] {
  return pids().filter((p) => readOr(`/proc/${p}/ns/pid`, readlinkSync) === ns);
}

/**
 * Start the runner on `input` and find its pid namespace (its child, the controller, is pid 1
 * there) with at least `tasks` processes in it; SIGKILL the runner then if `kill`. Resolves with
 * what was seen and what is left in the namespace once the runner has exited.
 */
async function watchRun(input: string, tasks: number, kill: NodeJS.Signals | null): Promise<{ seen: number; left: string[] }> {
  const child = spawn(bin, [], { stdio: ["pipe", "ignore", "ignore"] });
  const exited = new Promise((r) => child.on("exit", r));
  child.stdin.end(input);
  let ns: string | null = null;
  let seen = 0;
  for (let i = 0; i < 200 && seen < tasks; i++) {
    const inner = pids().find((p) => readOr(`/proc/${p}/stat`, (x) => readFileSync(x, "utf8"))?.replace(/^.*\) /s, "").split(" ")[1] === String(child.pid));
    if (inner !== undefined) ns ??= readOr(`/proc/${inner}/ns/pid`, readlinkSync);
    if (ns) seen = inNamespace(ns).length;
    if (seen < tasks) await new Promise((r) => setTimeout(r, 5));
  }
  if (kill) child.kill(kill); // the outer process only: the pid namespace must go with it
  await exited;
  let left = ns ? inNamespace(ns) : [];
  for (let i = 0; i < 50 && left.length; i++) {
    await new Promise((r) => setTimeout(r, 20));
    left = inNamespace(ns!);
  }
  // what is left, as "PID STATE"
  return { seen, left: left.map((p) => `${p} ${readOr(`/proc/${p}/stat`, (x) => readFileSync(x, "utf8"))?.replace(/^.*\) /s, "").split(" ")[0] ?? "gone"}`).filter((l) => !l.endsWith(" gone")) };
}

describe("planHost: what the host can run", () => {
  it("skips preemption-point control with the reason", () => {
    const at = planHost(prog("t0 mmap m0 anon\nt0 futex_wake m0+0 1 @3\n"), CPUS);
    expect(at).toEqual({ skip: expect.stringContaining("'@3' stops a call after 3 preemption points") });
    expect(planHost(prog("t0 spawn t1\nstep t1 2\n"), CPUS)).toEqual({ skip: expect.stringContaining("`step`") });
    expect(planHost(prog("fail_alloc 1\n"), CPUS)).toEqual({ skip: expect.stringContaining("fault injection") });
    expect(planHost(parse("config cpus=8\nt0 spawn t1\n"), 2)).toEqual({ skip: expect.stringContaining("config cpus=8, the host has 2") });
  });

  it("runs an @0 call at the `run` that completes it, and names the words to read back", () => {
    const r = planHost(prog("t0 mmap m0 anon\nt0 spawn t1\nt0 futex_wake m0+8 1 @0\nt1 store m0+8 1\nrun t0\n"), CPUS);
    if (!("plan" in r)) throw new Error(r.skip);
    expect(r.plan.input.split("\n").filter((l) => l.startsWith("e "))).toEqual([
      "e 0 0 0 mmap 0 -1",
      "e 1 0 0 spawn 1",
      "e 3 0 1 store 268435464 -1 1",
      "e 2 1 0 futex_wake 268435464 1 0",
    ]);
    // another event of the same task in between completes the call in the simulator: not movable
    expect(planHost(prog("t0 mmap m0 anon\nt0 futex_wake m0+8 1 @0\nt0 spawn t1\nrun t0\n"), CPUS)).toHaveProperty("skip");
    expect(r.plan.words).toEqual([0x10000008]);
  });
});

describe("eagerExits: the host's schedule for killed threads", () => {
  it("runs every thread of the killed group right after the kill, the killer last", () => {
    const p = prog("t0 spawn t1\nt0 fork t2\nt1 spawn t3\nsignal t1 kill\nt2 exec\n");
    expect(print(eagerExits(p)).split("\n").slice(4, 11)).toEqual(["signal t1 kill", "run t0", "run t3", "run t1", "t2 exec", "run t2", ""]);
  });
});

describe("futex-fuzz kernel-diff: command line", () => {
  it("has --help and one-line usage errors", async () => {
    expect((await cli("kernel-diff", "--help")).out).toContain("exit status: 0 all agree, 1 a difference, 2 usage error, 3 the host cannot run programs");
    const none = await cli("kernel-diff");
    expect([none.code, none.err]).toEqual([2, "futex-fuzz kernel-diff: kernel-diff needs FILES/DIRS or --random N\n"]);
    expect((await cli("kernel-diff", "--random", "x")).code).toBe(2);
  });
});

describe.runIf(useHost)("the native runner on the host kernel", () => {
  it("runs threads, processes, futexes, the hash prctl and robust lists with the simulator's TIDs and addresses", () => {
    const p = prog(`t0 mmap m0 file f0
t0 mmap m1 anon
t0 spawn t1
t0 fork t2
t1 futex_wait m0+0 0 shared
t0 hash_get_slots
t2 robust_init m1+0
t2 robust_lock m0+16
t2 exit
t0 load m0+16
t0 futex_wake m0+0 1 shared
t0 hash_set_slots 6
`);
    const plan = planHost(p, CPUS);
    if (!("plan" in plan)) throw new Error(plan.skip);
    const h = runOnHost(p, plan.plan, bin);
    expect(h.syscalls.map((s) => `t${s.task} ${s.event} = ${s.ret}`)).toEqual([
      "t0 mmap m0 file f0 = 268435456",
      "t0 mmap m1 anon = 268439552",
      "t0 spawn t1 = 1001",
      "t0 fork t2 = 1002",
      "t1 futex_wait m0+0 0 shared = 0",
      "t0 hash_get_slots = 16",
      "t2 robust_init m1+0 = 0",
      "t2 robust_lock m0+16 = 0",
      "t2 exit = null",
      // the exit walk marked the lock: OWNER_DIED, TID cleared
      "t0 load m0+16 = 1073741824",
      "t0 futex_wake m0+0 1 shared = 1",
      "t0 hash_set_slots 6 = -22",
    ]);
  });

  it("agrees with the fixed model on the corpus's host-runnable conformance programs", async () => {
    const r = await cli("kernel-diff", "corpus/conformance");
    expect(r.out).toMatch(/programs diffed .* 0 differ/);
    expect(r.code).toBe(0);
  });

  it("reports a difference event by event (the host run of a program against another program's simulation)", () => {
    const a = prog("t0 mmap m0 anon\nt0 store m0+0 1\nt0 load m0+0\n");
    const b = prog("t0 mmap m0 anon\nt0 store m0+0 2\nt0 load m0+0\n");
    const plan = planHost(b, CPUS);
    if (!("plan" in plan)) throw new Error(plan.skip);
    const diffs = diffRuns(a, runOnSim(a, plan.plan.words), runOnHost(b, plan.plan, bin));
    expect(diffs).toEqual([
      { kind: "ret", index: 2, sim: 1, host: 2 },
      { kind: "word", key: "t0@0x10000000", sim: 1, host: 2 },
    ]);
  });

  it("explains a known v7.2/6.18 difference by its named rule, and counts it", () => {
    const d = diffProgram(prog("t0 spawn t1\nt0 exec fail\n"), bin, CPUS);
    if (d.status === "skipped") throw new Error(d.reason);
    expect(d.status).toBe("agree");
    expect([...d.applied]).toEqual([["exec-fail-errno", 1]]);
  });

  it("the host (6.18) has the pending-op wake rule before 'Prevent robust futex exit race some more'", () => {
    // the owner-zero switch's reproducer: v7.2 wakes t2, which sets FUTEX_WAITERS again; 6.18 does not
    const p = parseCorpusFile(readFileSync("corpus/regressions/robust-pending-wake-owner-zero/woken-waiter-killed-retaken-uncontended.fz", "utf8"), "owner-zero").program;
    expect(diffProgram(p, bin, CPUS, []).status).toBe("differ");
    const d = diffProgram(p, bin, CPUS);
    if (d.status === "skipped") throw new Error(d.reason);
    expect(d.status).toBe("agree");
    expect([...d.applied]).toEqual([["pending-wake-some-more", 2]]);
  });

  it("a difference is minimized and written with the host's values as its # expect ret lines", () => {
    // without its rule, exec fail's errno is a real difference (v7.2 -ENOMEM, 6.18 -ENOEXEC)
    const p = prog("t0 mmap m0 anon\nt0 store m0+0 7\nt0 spawn t1\nt1 load m0+0\nt0 exec fail\nt0 load m0+0\n");
    expect(diffProgram(p, bin, CPUS, []).status).toBe("differ");
    const dir = mkdtempSync(join(tmpdir(), "ff-kd-"));
    const path = writeDifference(dir, p, bin, CPUS, []);
    const f = parseCorpusFile(readFileSync(path, "utf8"), path);
    // one event is left (the minimizer also lowers the CPU count, which the host rule ignores)
    expect(print(f.program).split("\n").slice(1)).toEqual(["t0 exec fail", ""]);
    expect(f.expects).toMatchObject([{ kind: "ret", task: 0, event: "exec fail", value: -8 }]);
    // with the rules it agrees: the written file is exactly what the named rule explains
    expect(diffProgram(f.program, bin, CPUS).status).toBe("agree");
  });

  it("random host programs are seeded and mostly run", () => {
    const p = randomHostProgram(7, 3, CPUS);
    expect(print(randomHostProgram(7, 3, CPUS))).toBe(print(p));
    const ran = Array.from({ length: 50 }, (_, i) => runOnSim(randomHostProgram(1, i, CPUS), []).verdict.syscalls.length);
    const events = Array.from({ length: 50 }, (_, i) => randomHostProgram(1, i, CPUS).events.length);
    expect(ran.reduce((x, y) => x + y)).toBeGreaterThan(0.7 * events.reduce((x, y) => x + y));
  });

  it("leaves no process behind: after a run, and when the runner is killed in the middle", async () => {
    const blocked = prog(`t0 mmap m0 anon
t0 mmap m1 file f0
t0 spawn t1
t0 spawn t2
t0 fork t3
t3 spawn t4
t1 futex_wait m0+0 0
t3 futex_wait m1+0 0 shared
t4 futex_wait m1+4 0 shared
t2 exit
`);
    const plan = planHost(blocked, CPUS);
    if (!("plan" in plan)) throw new Error(plan.skip);
    // grace periods at the end keep the run alive long enough to be watched
    const gps = (n: number) => Array.from({ length: n }, (_, i) => `e ${100 + i} 0 0 gp`).join("\n") + "\n";
    // pid 1 (the controller), t0's and t3's processes
    expect(await watchRun(plan.plan.input + gps(50), 3, null)).toEqual({ seen: 3, left: [] });
    // SIGTERM (what spawnSync's timeout sends): the runner ends its namespace and reaps it
    expect(await watchRun(plan.plan.input + gps(900), 3, "SIGTERM")).toEqual({ seen: 3, left: [] });
    // SIGKILL: the namespace dies with its pid 1 (PR_SET_PDEATHSIG); nothing runs on, though
    // pid 1's zombie may wait a moment for the host's init to reap it
    const killed = await watchRun(plan.plan.input + gps(900), 3, "SIGKILL");
    expect(killed.seen).toBe(3);
    expect(killed.left.filter((l) => !l.endsWith(" Z"))).toEqual([]);
    expect(killed.left.length).toBeLessThanOrEqual(1);
  });
});
