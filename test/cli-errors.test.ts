// The exit-status contract, driven through the real binary: every command with each bad input
// (a directory, an unreadable file, -o into a missing dir, --to/--work-dir naming a file, a
// closed pipe, a FIFO, a program that exhausts the step budget) ends with its status and at most
// one line on stderr per problem, never a stack trace.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./build.js";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";

const BIN = join(PROJECT_ROOT, "bin", "futex-fuzz.js");
const dir = mkdtempSync(join(tmpdir(), "ff-errors-"));
const REGRESSION = join(PROJECT_ROOT, "corpus", "regressions", "fork-copies-phash-new", "fork-while-pending.fz");

function ff(args: string[], o: { uid?: number; timeoutMs?: number } = {}) {
  // as root, drop to the uid with setpriv; a non-root runner is already unprivileged
  const drop = o.uid !== undefined && process.getuid?.() === 0;
  const cmd = drop ? "setpriv" : process.execPath;
  const argv = drop ? [`--reuid=${o.uid}`, `--regid=${o.uid}`, "--clear-groups", process.execPath, BIN, ...args] : [BIN, ...args];
  const r = spawnSync(cmd, argv, { cwd: dir, encoding: "utf8", timeout: o.timeoutMs ?? 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}

/** no `    at f (file:line)` frames, no `Error:` dumps */
function expectNoStack(err: string): void {
  expect(err).not.toMatch(/^\s+at .+[:(]/m);
  expect(err).not.toMatch(/^\w*Error\b/m);
}

const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
/** 100,000 exec events: the run exhausts the 100,000-point step budget */
const BUDGET = "t0 exec\n".repeat(100_000);

describe("exit status contract (real binary)", () => {
  beforeAll(() => {
    ensureBuilt("src/cli/main.js");
    mkdirSync(join(dir, "adir"), { recursive: true });
    file("ok.fz", "t0 mmap m0 anon\n");
    file("budget.fz", `# expect clean\n${BUDGET}`);
    file("a-file", "not a directory\n");
    execFileSync("mkfifo", [join(dir, "fifo")]);
  });

  it("EISDIR: a directory as FILE is exit 2 naming it, for run and minimize", () => {
    for (const cmd of ["run", "minimize"]) {
      const r = ff([cmd, "adir"]);
      expect(r.code, `${cmd}: ${r.err}`).toBe(2);
      expect(r.err).toBe(`futex-fuzz ${cmd}: adir: is a directory (EISDIR), not a program file\n`);
    }
    const out = ff(["minimize", REGRESSION, "-o", "adir"]);
    expect(out.code).toBe(2);
    expect(out.err.split("\n").at(-2)).toBe("futex-fuzz minimize: adir: EISDIR (is a directory)");
    expectNoStack(out.err);
    const imp = ff(["corpus", "import", "ok.fz"]);
    expect(imp.code).toBe(2);
    expect(imp.err).toBe("futex-fuzz corpus: ok.fz: not a directory\n");
  });

  it("a FIFO as FILE does not hang: exit 2 at once", () => {
    for (const cmd of ["run", "minimize"]) {
      const r = ff([cmd, "fifo"], { timeoutMs: 10_000 });
      expect(r.signal, `${cmd} hung`).toBeNull();
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^futex-fuzz \w+: fifo: not a regular file \(a FIFO, socket or device\)/);
    }
  });

  it("EACCES: an unreadable file is exit 2 (as uid 65534 when the tests run as root, who reads anything)", () => {
    const locked = join(dir, "locked");
    mkdirSync(locked, { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(locked, 0o755);
    const p = join(locked, "secret.fz");
    writeFileSync(p, "t0 mmap m0 anon\n");
    chmodSync(p, 0o000);
    for (const cmd of ["run", "minimize"]) {
      const r = ff([cmd, p], { uid: 65534 });
      expect(r.code, r.err).toBe(2);
      expect(r.err).toBe(`futex-fuzz ${cmd}: ${p}: cannot read: EACCES (permission denied)\n`);
    }
    const to = join(dir, "imp-eacces");
    mkdirSync(to, { recursive: true });
    chmodSync(to, 0o777);
    const imp = ff(["corpus", "import", locked, "--to", to], { uid: 65534 });
    expect(imp.code).toBe(2);
    expect(imp.err).toBe(`skip ${p}: cannot read: EACCES (permission denied)\n`);
    expectNoStack(imp.err);
  });

  it("-o into a missing directory creates it, as --to and --regressions do", () => {
    const out = join(dir, "new", "sub", "repro.fz");
    const r = ff(["minimize", REGRESSION, "-o", out]);
    expect(r.code, r.err).toBe(1);
    expect(readFileSync(out, "utf8")).toContain("# expect finding double-free");
    expectNoStack(r.err);
  });

  it("ENOTDIR: --to, --work-dir and --regressions naming a file are exit 2", () => {
    const cases = [
      ["corpus", "import", "adir", "--to", "a-file"],
      ["corpus", "import", "adir", "--to", "a-file/x"],
      ["corpus", "merge", "--work-dir", "a-file"],
      ["fuzz", "--runs", "10", "--work-dir", "a-file"],
      ["fuzz", "--runs", "10", "--work-dir", "a-file/x"],
      ["fuzz", "--runs", "10", "--regressions", "a-file", "--work-dir", "w"],
    ];
    for (const args of cases) {
      const r = ff(args);
      expect(r.code, `${args.join(" ")}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(/^futex-fuzz (corpus|fuzz): a-file(\/x)?(\/all)?: ENOTDIR \((not a directory|a component of the path is not a directory)\)\n$/);
    }
  });

  it("EPIPE: `run --trace | head -1` prints one line, no error, and keeps the verdict's status", () => {
    const r = spawnSync("bash", ["-c", `node ${BIN} run --trace ${REGRESSION} | head -1; echo "status \${PIPESTATUS[0]}" >&2`], { cwd: dir, encoding: "utf8" });
    expect(r.stdout).toBe("CPU 0\n");
    // the file's # bugs header applies: a finding
    expect(r.stderr).toBe("status 1\n");
  });

  it("100k exec events exhaust the step budget: no verdict, exit 3, --json says so, check says NO VERDICT", () => {
    const run = ff(["run", "budget.fz"]);
    expect(run.code).toBe(3);
    expect(run.out).toMatch(/no verdict: step budget exhausted after 100000 preemption points/);
    expect(run.out).not.toMatch(/^clean$/m);
    const json = ff(["run", "budget.fz", "--json"]);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.out).noVerdict).toEqual({ reason: "step budget exhausted", points: 100_000 });
    const check = ff(["corpus", "check", "budget.fz"]);
    expect(check.code).toBe(3);
    expect(check.out).toContain("NO VERDICT budget.fz");
    expect(check.out).toContain("1 files checked, 0 ok, 0 bad, 1 without verdict (step budget exhausted)");
    const min = ff(["minimize", "budget.fz"]);
    expect(min.code).toBe(3);
    expect(min.err).toContain("== NO VERDICT budget.fz: step budget exhausted after 100000 preemption points");
    mkdirSync(join(dir, "budget-in"), { recursive: true });
    writeFileSync(join(dir, "budget-in", "b.fz"), BUDGET);
    const imp = ff(["corpus", "import", "budget-in", "--to", "budget-to"]);
    expect(imp.code).toBe(3);
    for (const r of [run, json, check, min, imp]) expectNoStack(r.err);
  });

  it("a program over a limit gets an error naming it", () => {
    const t = ff(["run", file("t16.fz", "t0 spawn t16\n")]);
    expect(t.code).toBe(2);
    expect(t.err).toContain("t16 is over the limit of 16 tasks per program (t0..t15)");
    const m = ff(["run", file("m16.fz", "t0 mmap m16 anon\n")]);
    expect(m.err).toContain("m16 is over the limit of 16 regions per program (m0..m15)");
    writeFileSync(join(dir, "huge.fz"), "#".repeat((1 << 20) + 1));
    const huge = ff(["run", "huge.fz"]);
    expect(huge.code).toBe(2);
    expect(huge.err).toContain("the limit for a program file is 1048576 bytes, 1 MiB");
  });

  it("empty and comment-only files are one error whatever their name; a non-UTF-8 comment says so", () => {
    for (const [name, text] of [["e.fz", ""], ["e.txt", ""], ["c.fz", "# only a comment\nconfig cpus=2\n"], ["c.txt", "# only a comment\n"]] as const) {
      file(name, text);
      const r = ff(["run", name]);
      expect(r.code, name).toBe(2);
      expect(r.err).toBe(`futex-fuzz run: ${name}: empty program file\n`);
    }
    writeFileSync(join(dir, "latin1.fz"), Buffer.concat([Buffer.from("t0 mmap m0 anon\n# caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    const r = ff(["run", "latin1.fz"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe("futex-fuzz run: latin1.fz:2: not valid UTF-8 (a program file is UTF-8 text; comments too)\n");
  });

  it("--version and usage errors", () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string };
    expect(ff(["--version"])).toMatchObject({ code: 0, out: `futex-fuzz ${pkg.version}\n` });
    for (const args of [["run"], ["run", "ok.fz", "--frob"], ["fuzz", "--time", "soon"], ["corpus"], ["frob"], []]) {
      const r = ff(args);
      expect(r.code, args.join(" ")).toBe(2);
      expectNoStack(r.err);
    }
    expect(existsSync(join(dir, "w", "all", "lock"))).toBe(false);
  });
});
