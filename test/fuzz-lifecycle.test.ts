// Processes never outlive their parent, and a work dir belongs to one campaign at a time:
// SIGKILL to `futex-fuzz fuzz` / `corpus merge` leaves no jazzer behind; a second campaign or a
// merge during a campaign is refused naming the holder's pid; a killed holder's lock is taken over.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./build.js";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";
import { LockError, lockWorkDir } from "../src/fuzzing/lock.js";

const BIN = join(PROJECT_ROOT, "bin", "futex-fuzz.js");
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `ff-life-${p}-`));

/** live (not zombie) processes whose command line mentions `needle` */
function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc"))
    if (/^\d+$/.test(d))
      try {
        if (!readFileSync(`/proc/${d}/cmdline`, "utf8").includes(needle)) continue;
        if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${d}/stat`, "utf8"))) continue;
        out.push(Number(d));
      } catch {
        // gone meanwhile
      }
  return out;
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** start the CLI; resolves once stderr matches `ready` */
function start(args: string[], ready: RegExp): { child: ChildProcess; ready: Promise<void>; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stdout!.resume();
  const isReady = new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (d) => {
      err += d;
      if (ready.test(err)) resolve();
    });
    child.on("exit", () => reject(new Error(`exited before ready:\n${err}`)));
  });
  isReady.catch(() => {});
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, ready: isReady, err: () => err, exited };
}

function ff(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("no orphaned fuzzers, one campaign per work dir", () => {
  beforeAll(() => ensureBuilt("fuzz/target.js"));

  it("SIGKILL to a campaign: its jazzer exits within a second; a second campaign and a merge were refused meanwhile", async () => {
    const work = tmp("kill");
    const reg = tmp("killreg");
    const c = start(["fuzz", "--time", "120", "--work-dir", work, "--regressions", reg], /execs [1-9]/);
    await c.ready;
    // the gen engine's first burst runs in the campaign's process; its engine processes follow
    await until(() => processesWith(work).some((p) => p !== c.child.pid), 20_000);
    const jazzers = processesWith(work).filter((p) => p !== c.child.pid);
    expect(jazzers.length).toBeGreaterThan(0);
    // the lock names the holder
    const second = ff(["fuzz", "--runs", "100", "--work-dir", work, "--regressions", reg]);
    expect(second.code).toBe(2);
    expect(second.err).toBe(`futex-fuzz fuzz: ${join(work, "all")} is in use by pid ${c.child.pid} (futex-fuzz fuzz --target all); wait for it or stop it (a killed holder's lock is taken over)\n`);
    const merge = ff(["corpus", "merge", "--work-dir", work]);
    expect(merge.code).toBe(2);
    expect(merge.err).toContain(`is in use by pid ${c.child.pid} (futex-fuzz fuzz --target all)`);
    c.child.kill("SIGKILL");
    await c.exited;
    const t0 = Date.now();
    expect(await until(() => processesWith(work).length === 0, 3000), `left: ${processesWith(work)}`).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1500);
    // the lock is stale now: the next campaign takes it over and releases it at the end
    expect(readFileSync(join(work, "all", "lock"), "utf8")).toMatch(new RegExp(`^${c.child.pid} `));
    const next = ff(["fuzz", "--runs", "200", "--work-dir", work, "--regressions", reg]);
    expect(next.code, next.err).toBe(0);
    expect(existsSync(join(work, "all", "lock"))).toBe(false);
  });

  it("SIGKILL to corpus merge: no jazzer (outer or merge child) is left", async () => {
    const work = tmp("mergekill");
    const seeded = ff(["fuzz", "--runs", "3000", "--work-dir", work, "--regressions", tmp("mreg")]);
    expect(seeded.code, seeded.err).toBe(0);
    const m = start(["corpus", "merge", "--work-dir", work], /merging \d+ inputs/);
    await m.ready;
    await until(() => processesWith(work).length > 1, 2000);
    m.child.kill("SIGKILL");
    await m.exited;
    const t0 = Date.now();
    expect(await until(() => processesWith(work).length === 0, 3000), `left: ${processesWith(work)}`).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it("the lock: one holder at a time, a dead holder's lock taken over, released only by its holder", () => {
    const root = tmp("lock");
    const a = lockWorkDir(root, "test holder");
    expect(readFileSync(join(root, "lock"), "utf8")).toBe(`${process.pid} test holder\n`);
    // a live holder (this process, as another taker would see it from outside) refuses
    const other = spawnSync(process.execPath, ["--input-type=module", "-e", `import(${JSON.stringify(join(PROJECT_ROOT, "dist", "src", "fuzzing", "lock.js"))}).then((m) => { try { m.lockWorkDir(${JSON.stringify(root)}, "x"); console.log("taken"); } catch (e) { console.log(e.message); } })`], { encoding: "utf8" });
    expect(other.stdout.trim()).toBe(`${root} is in use by pid ${process.pid} (test holder); wait for it or stop it (a killed holder's lock is taken over)`);
    a.release();
    expect(existsSync(join(root, "lock"))).toBe(false);
    // a dead pid's lock is stale
    const dead = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
    writeFileSync(join(root, "lock"), `${dead.stdout.trim()} killed campaign\n`);
    const b = lockWorkDir(root, "taker");
    expect(readFileSync(join(root, "lock"), "utf8")).toBe(`${process.pid} taker\n`);
    expect(readdirSync(root).sort()).toEqual(["lock"]);
    // a lock that is no longer ours (taken over after we were presumed dead) is not removed
    writeFileSync(join(root, "lock"), "1 init holds it\n");
    b.release();
    expect(readFileSync(join(root, "lock"), "utf8")).toBe("1 init holds it\n");
    expect(() => lockWorkDir(root, "y")).toThrow(LockError);
  });
});
