// futex-fuzz c: standalone C reproducers. Every corpus file's reproducer compiles (one cc run
// over all of them, front end only, to keep this fast); two are built and run, and print what
// the native runner prints for the same program.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { listCorpusFiles } from "../src/corpus/walk.js";
import { cReproducer } from "../src/host/c-repro.js";
import { planHost } from "../src/host/plan.js";
import { runOnHost } from "../src/host/runner.js";
import { runnerBinary } from "../src/host/build.js";
import { loadProgramFile } from "../src/program/load.js";
import { parse } from "../src/program/text.js";

const dir = mkdtempSync(join(tmpdir(), "ff-c-"));
const useHost = process.env.FUTEX_FUZZ_NO_HOST !== "1";

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe("futex-fuzz c", () => {
  it("writes a reproducer for every corpus file, and every one compiles", () => {
    const files = listCorpusFiles(["corpus"]);
    expect(files.length).toBeGreaterThan(50);
    const out = files.map((f, i) => {
      const path = join(dir, `r${i}.c`);
      writeFileSync(path, cReproducer(loadProgramFile(f).program));
      return path;
    });
    // throws (with cc's messages) if any file does not compile
    execFileSync("cc", ["-pthread", "-Wall", "-Werror", "-fsyntax-only", ...out], { stdio: "pipe" });
  });

  it("turns what a real CPU cannot replay into comments with the nearest real-world way", async () => {
    const r = await cli("c", "corpus/seeds/robust-irq-kill.fz", "-o", join(dir, "irq.c"));
    expect(r.code).toBe(0);
    const c = readFileSync(join(dir, "irq.c"), "utf8");
    expect(c).toContain("event 15 'irq t1 3 kill' left out: interrupt user mode inside the robust unlock after instruction 3");
    expect(c).toContain("'t1 robust_unlock m0+16 @3' runs to completion here");
    expect(c).toContain(" *   t1 robust_unlock m0+16 = none"); // the simulator's results
    const fa = cReproducer(parse("config cpus=2\nt0 spawn t1\nfail_alloc 2\nt0 exec fail\nstep t1 3\n"));
    expect(fa).toContain("fail-nth");
    expect(fa).toContain("run the racing calls in loops");
    expect((await cli("c", "--help")).out).toContain("usage: futex-fuzz c FILE");
    expect((await cli("c")).code).toBe(2);
  });

  it.runIf(useHost)("a built reproducer prints what the runner prints", () => {
    for (const f of ["corpus/conformance/host-exec-non-leader-tid.fz", "corpus/seeds/robust-unlock.fz"]) {
      const p = loadProgramFile(f).program;
      const src = join(dir, "run.c");
      writeFileSync(src, cReproducer(p));
      execFileSync("cc", ["-pthread", "-o", join(dir, "run"), src]);
      const lines = execFileSync(join(dir, "run"), { encoding: "utf8" }).trim().split("\n");
      const plan = planHost(p, p.cpus);
      if (!("plan" in plan)) throw new Error(plan.skip);
      const h = runOnHost(p, plan.plan, runnerBinary());
      expect(lines.filter((l) => l.startsWith("R ")).map((l) => l.split("\t")[0]!.split(" ")[2])).toEqual(h.syscalls.map((s) => String(s.ret)));
      expect(lines.at(-1)).toBe("END");
    }
  });
});
