import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { checkExpectations, formatCorpusFile, parseCorpusFile, verifyCorpusFile } from "../src/corpus/file.js";
import { bugDir, contentHash, storeRegression } from "../src/corpus/store.js";
import { listCorpusFiles } from "../src/corpus/walk.js";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";
import { execute } from "../src/exec/executor.js";
import { decode, encode } from "../src/program/codec.js";
import { TARGET_EVENTS } from "../src/program/targets.js";
import { parse, print } from "../src/program/text.js";
import type { Finding } from "../src/sanitizers/report.js";

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const tmp = (p: string) => mkdtempSync(join(tmpdir(), `ff-${p}-`));
const WAITWAKE = "config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n";
const GOOD = `# futex-fuzz 1\n# title wait then wake\n# expect clean\n# expect ret t1 futex_wait m0+0 0 = 0\n# expect ret t0 futex_wake m0+0 1 = 1\n${WAITWAKE}`;

describe("corpus file format", () => {
  it("parses the header and round-trips through formatCorpusFile", () => {
    const f = parseCorpusFile(GOOD, "good.fz");
    expect(f.title).toBe("wait then wake");
    expect(f.bugs).toEqual([]);
    expect(f.expects.map((e) => e.kind)).toEqual(["clean", "ret", "ret"]);
    const text = formatCorpusFile({ ...f, comment: "expect this is only a comment\nsecond line" });
    expect(text.startsWith("# futex-fuzz 1\n# title wait then wake\n# expect clean\n")).toBe(true);
    expect(text).toContain("# - expect this is only a comment\n# second line\nconfig cpus=2\n");
    const again = parseCorpusFile(text);
    expect(again.expects).toEqual(f.expects.map((e) => ({ ...e, line: expect.any(Number) })));
    expect(print(again.program)).toBe(WAITWAKE);
  });

  it("reads bugs, signature and finding kinds", () => {
    const f = parseCorpusFile("# signature double-free:futex_hash_free\n# bugs a, b\n# expect finding double-free|use-after-free\nt0 exit\n");
    expect(f.signature).toBe("double-free:futex_hash_free");
    expect(f.bugs).toEqual(["a", "b"]);
    expect(f.expects[0]).toEqual({ kind: "finding", kinds: ["double-free", "use-after-free"], line: 3 });
  });

  it("rejects bad directives with file and line", () => {
    expect(() => parseCorpusFile("t0 exit\n# expect finding nonsense\n", "x.fz")).toThrow(/x\.fz:2:.*unknown finding kind 'nonsense'/);
    expect(() => parseCorpusFile("# expect ret t0 frobnicate = 1\n", "y.fz")).toThrow(/y\.fz:1:.*unknown event 'frobnicate'/);
    expect(() => parseCorpusFile("# futex-fuzz 2\n", "z.fz")).toThrow(/z\.fz:1:.*unsupported format version/);
  });

  it("expect ret matches the next not-yet-matched syscall of the task with that text", () => {
    const p = parse("t0 mmap m0 anon\nt0 store m0+0 5\nt0 load m0+0\nt0 store m0+0 6\nt0 load m0+0\n");
    const v = execute(p);
    const file = (lines: string) => parseCorpusFile(lines + "t0 exit\n", "r.fz");
    expect(checkExpectations(file("# expect ret t0 load m0+0 = 5\n# expect ret t0 load m0+0 = 6\n"), v)).toEqual([]);
    expect(checkExpectations(file("# expect ret t0 load m0+0 = 6\n"), v)).toEqual(["r.fz:1: expected t0 load m0+0 = 6, got 5"]);
    expect(checkExpectations(file("# expect ret t0 load m0+0 = 5\n# expect ret t0 load m0+0 = 6\n# expect ret t0 load m0+0 = 6\n"), v)).toEqual([
      "r.fz:3: expected t0 load m0+0 = 6, but no further such syscall ran",
    ]);
    expect(checkExpectations(file("# expect finding leak\n"), v)).toEqual(["r.fz:1: expected finding leak, got clean"]);
  });
});

describe("futex-fuzz corpus check", () => {
  it("names a truncated, a binary and a wrongly declared file, and removes none", async () => {
    const dir = tmp("check");
    mkdirSync(join(dir, "seeds"));
    writeFileSync(join(dir, "seeds", "good.fz"), GOOD);
    writeFileSync(join(dir, "seeds", "truncated.fz"), GOOD.slice(0, GOOD.lastIndexOf("m0+0 1") + 3)); // "t0 futex_wake m0+"
    writeFileSync(join(dir, "seeds", "binary.fz"), Uint8Array.from([0x23, 0x20, 0, 1, 2, 0xff, 0xfe, 7]));
    writeFileSync(join(dir, "seeds", "wrong.fz"), GOOD.replace("# expect clean", "# expect finding double-free"));
    writeFileSync(join(dir, "seeds", "notes.txt"), "not a corpus file");
    const before = readdirSync(join(dir, "seeds")).sort();
    const r = await cli("corpus", "check", dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/BAD {2}\S*truncated\.fz\n {5}\S*truncated\.fz:10:\d+: expected address mN\+OFF, got 'm0\+'/);
    expect(r.out).toMatch(/BAD {2}\S*binary\.fz\n {5}\S*binary\.fz: binary data in a \.fz program file/);
    expect(r.out).toMatch(/BAD {2}\S*wrong\.fz\n {5}\S*wrong\.fz:3: expected finding double-free, got clean/);
    expect(r.out).not.toMatch(/BAD.*good\.fz/);
    expect(r.out).toContain("4 files checked, 1 ok, 3 bad");
    expect(readdirSync(join(dir, "seeds")).sort()).toEqual(before);
    expect(readFileSync(join(dir, "seeds", "wrong.fz"), "utf8")).toContain("# expect finding double-free");
  });

  it("reports empty files and unknown switches, exit 0 when all good, 2 for a missing dir", async () => {
    const dir = tmp("check2");
    writeFileSync(join(dir, "empty.fz"), "");
    writeFileSync(join(dir, "switch.fz"), "# bugs no-such-bug\nt0 exit\n");
    expect(verifyCorpusFile(join(dir, "empty.fz")).reasons).toEqual([`${join(dir, "empty.fz")}: empty program file`]);
    expect(verifyCorpusFile(join(dir, "switch.fz")).reasons[0]).toMatch(/unknown bug switch 'no-such-bug'/);
    const ok = tmp("check3");
    writeFileSync(join(ok, "a.fz"), GOOD);
    expect((await cli("corpus", "check", ok)).code).toBe(0);
    expect((await cli("corpus", "check", join(ok, "missing"))).code).toBe(2);
    expect((await cli("corpus", "check", "--help")).code).toBe(0);
  });

  it("a file that declares a finding must still be clean on the fixed kernel (and clean ones are)", () => {
    const dir = tmp("fixed");
    writeFileSync(join(dir, "a.fz"), GOOD);
    expect(verifyCorpusFile(join(dir, "a.fz"))).toEqual({ ok: true, reasons: [] });
  });
});

describe("futex-fuzz corpus stats", () => {
  it("counts by directory, signature, verdict and group", async () => {
    const dir = tmp("stats");
    mkdirSync(join(dir, "seeds"));
    writeFileSync(join(dir, "seeds", "a.fz"), GOOD);
    writeFileSync(join(dir, "seeds", "b.fz"), "# expect clean\nt0 hash_get_slots\n");
    const r = await cli("corpus", "stats", dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain("2 corpus files");
    expect(r.out).toMatch(/by directory:\n\s+2 {2}seeds/);
    expect(r.out).toMatch(/by group[^\n]*\n(\s+\d+ {2}\S+\n)*\s+1 {2}futex\n/);
    expect(r.out).toMatch(/event kinds used by no corpus file: munmap, store, load, fork/);
  });
});

const FINDING: Finding = { kind: "double-free", title: "KASAN: double-free in futex_hash_free", stack: ["mmput", "futex_hash_free"], event: 3 };

describe("storeRegression", () => {
  it("stores <bug-id>/<hash>.fz with a header, dedupes by signature, keeps the smallest", () => {
    const dir = tmp("store");
    const big = parse("t0 mmap m0 anon\nt0 spawn t1\nt0 exit\n");
    const small = parse("t0 mmap m0 anon\nt0 exit\n");
    expect([bugDir(["b", "a"]), bugDir(["fork-copies-phash-new"]), bugDir([])]).toEqual(["a+b", "fork-copies-phash-new", "no-switch"]);
    const a = storeRegression(dir, big, FINDING, ["b", "a"]);
    expect(a).toEqual({ path: join(dir, "a+b", `${contentHash(big)}.fz`), added: true });
    const text = readFileSync(a.path, "utf8");
    expect(text).toBe(
      "# futex-fuzz 1\n# title KASAN: double-free in futex_hash_free\n# signature double-free:futex_hash_free\n# bugs a,b\n# expect finding double-free\n" +
        print(big),
    );
    expect(storeRegression(dir, big, FINDING, ["a", "b"])).toEqual({ path: a.path, added: false, duplicateOf: a.path });
    const b = storeRegression(dir, small, FINDING, ["a", "b"]);
    expect(b.added).toBe(true);
    expect(b.replaced).toEqual([a.path]);
    expect(existsSync(a.path)).toBe(false);
    expect(storeRegression(dir, big, FINDING, ["a", "b"])).toMatchObject({ added: false, duplicateOf: b.path });
    // same signature under other switches is another regression
    expect(storeRegression(dir, big, FINDING, []).added).toBe(true);
    expect(listCorpusFiles([dir])).toHaveLength(2);
    expect(readdirSync(join(dir, "a+b")).filter((n) => n.startsWith("."))).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(["a+b", "no-switch"]);
  });

  it("corpus/regressions has one layout: <bug-id>/<name>.fz, the directory named by the file's # bugs", () => {
    const root = join(PROJECT_ROOT, "corpus", "regressions");
    const files = listCorpusFiles([root]);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const rel = f.slice(root.length + 1).split("/");
      expect(rel, f).toHaveLength(2);
      expect(rel[0], f).toBe(bugDir(parseCorpusFile(readFileSync(f, "utf8"), f).bugs));
    }
  });

  it("never replaces a hand-written file or touches unreadable ones", () => {
    const dir = tmp("store2");
    mkdirSync(join(dir, "x"));
    const hand = join(dir, "x", "hand-written.fz");
    writeFileSync(hand, "# signature double-free:futex_hash_free\n# note: explained in the mail\nt0 mmap m0 anon\nt0 spawn t1\nt0 exit\n");
    writeFileSync(join(dir, "x", "broken.fz"), "t0 futex_wait m0+");
    const r = storeRegression(dir, parse("t0 exit\n"), FINDING, []);
    expect(r).toEqual({ path: hand, added: false, duplicateOf: hand });
    expect(readFileSync(join(dir, "x", "broken.fz"), "utf8")).toBe("t0 futex_wait m0+");
  });
});

describe("futex-fuzz corpus import / minimize", () => {
  it("skips empty and broken inputs without deleting them; clean crash files are reported", async () => {
    const dir = tmp("import");
    const to = join(tmp("import-to"), "regressions");
    writeFileSync(join(dir, "crash-empty"), "");
    writeFileSync(join(dir, "crash-text"), "t0 futex_wait m0+\n");
    writeFileSync(join(dir, "crash-bytes"), encode(parse(WAITWAKE)));
    const r = await cli("corpus", "import", dir, "--to", to);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`skip ${join(dir, "crash-empty")}: empty program file`);
    expect(r.err).toMatch(/skip \S*crash-text:1:\d+: /);
    expect(r.out).toContain(`== NO FINDING ${join(dir, "crash-bytes")}: runs clean when replayed`);
    expect(r.out).toContain("hint:      decoded with target all's event table (default)");
    expect(r.out).toContain("0 added, 0 duplicates, 1 without a finding, 2 unreadable");
    expect(readdirSync(dir).sort()).toEqual(["crash-bytes", "crash-empty", "crash-text"]);
    expect(listCorpusFiles([to])).toEqual([]);
  });

  it("--target T decodes raw crash bytes with that fuzz target's event table (run, minimize, import)", async () => {
    const dir = tmp("import-target");
    const to = join(tmp("import-target-to"), "regressions");
    const repro = parse("config cpus=1\nt0 spawn t1\nt0 hash_set_slots 0\nt1 fork t2\n");
    const crash = join(dir, "crash-fork");
    writeFileSync(crash, encode(repro, TARGET_EVENTS["fork-lifecycle"]!));
    const bugs = ["--bugs", "fork-copies-phash-new"];
    // the target's byte for `fork` means another kind in the full table
    expect(print(decode(readFileSync(crash)))).not.toBe(print(repro));
    const run = await cli("run", crash, ...bugs, "--target", "fork-lifecycle");
    expect(run.code).toBe(1);
    expect(run.out).toContain("t1 fork t2 = ");
    expect(run.out).toContain("FINDING double-free");
    const min = await cli("minimize", crash, ...bugs, "--target", "fork-lifecycle");
    expect(min.code).toBe(1);
    expect(min.out).toContain("t1 fork t2");
    const imp = await cli("corpus", "import", dir, ...bugs, "--target", "fork-lifecycle", "--to", to);
    expect(imp.code).toBe(1);
    expect(imp.out).toMatch(/^== FINDING KASAN: double-free in futex_hash_free \[double-free:futex_hash_free\]$/m);
    expect(imp.out).toMatch(/^ {3}stored: {4}\S+\/fork-copies-phash-new\/[0-9a-f]{16}\.fz \(new\)$/m);
    expect(imp.out).toContain("1 added, 0 duplicates, 0 without a finding, 0 unreadable");
    const bad = await cli("run", crash, "--target", "nope");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown target 'nope'");
  });

  it("headers are honoured: # bugs for text, the artifact path or its sidecar for raw bytes; a miss says how to choose", async () => {
    const repro = parse("config cpus=1\nt0 spawn t1\nt0 hash_set_slots 0\nt1 fork t2\n");
    const bytes = encode(repro, TARGET_EVENTS["fork-lifecycle"]!);
    // text: the # bugs header switches the bug on for run, minimize and import
    const dir = tmp("headers");
    const fz = join(dir, "r.fz");
    writeFileSync(fz, `# bugs fork-copies-phash-new\n${print(repro)}`);
    expect((await cli("run", fz)).code).toBe(1);
    expect((await cli("run", fz, "--bugs", "")).code).toBe(0);
    const min = await cli("minimize", fz);
    expect(min.code).toBe(1);
    expect(min.err).toContain("text program; bugs fork-copies-phash-new (# bugs header)");
    const to = join(tmp("headers-to"), "regressions");
    const imp = await cli("corpus", "import", dir, "--to", to);
    expect(imp.code).toBe(1);
    expect(listCorpusFiles([to])).toHaveLength(1);
    expect(listCorpusFiles([to])[0]).toContain(join("fork-copies-phash-new", ""));
    // raw bytes under WORK/<target>/artifacts/: the path names the table
    const arts = join(tmp("work"), "fork-lifecycle", "artifacts");
    mkdirSync(arts, { recursive: true });
    writeFileSync(join(arts, "crash-1"), bytes);
    const byPath = await cli("run", join(arts, "crash-1"), "--bugs", "fork-copies-phash-new");
    expect(byPath.code).toBe(1);
    expect(byPath.out).toContain("t1 fork t2 = ");
    // raw bytes elsewhere with a sidecar: table and switches from it, no flags needed
    const loose = tmp("sidecar");
    writeFileSync(join(loose, "crash-2"), bytes);
    writeFileSync(join(loose, "crash-2.json"), JSON.stringify({ target: "fork-lifecycle", bugs: ["fork-copies-phash-new"], seed: 1 }));
    expect((await cli("run", join(loose, "crash-2"))).code).toBe(1);
    const m2 = await cli("minimize", join(loose, "crash-2"));
    expect(m2.code).toBe(1);
    expect(m2.err).toContain("raw bytes decoded with the event table of target fork-lifecycle (sidecar); bugs fork-copies-phash-new (sidecar)");
    // import skips the sidecar itself and uses it
    const imp2 = await cli("corpus", "import", loose, "--to", join(tmp("sidecar-to"), "r"));
    expect(imp2.out).toContain("1 added, 0 duplicates, 0 without a finding, 0 unreadable");
    // no path, no sidecar: the default table, and the message says which and how to choose
    const bare = tmp("bare");
    writeFileSync(join(bare, "crash-3"), bytes);
    const miss = await cli("minimize", join(bare, "crash-3"), "--bugs", "fork-copies-phash-new");
    expect(miss.code).toBe(0);
    expect(miss.err).toContain("decoded with target all's event table (default); raw bytes mean a different program under another table: choose it with --target all|hash-resize|fork-lifecycle|robust-unlock|futex2");
    const run = await cli("run", join(bare, "crash-3"), "--bugs", "fork-copies-phash-new");
    expect(run.code).toBe(0);
    expect(run.err).toContain("choose it with --target");
  });

  it("minimize: a program without a finding writes nothing and exits 0; --help works", async () => {
    const dir = tmp("min");
    writeFileSync(join(dir, "p.fz"), WAITWAKE);
    const r = await cli("minimize", join(dir, "p.fz"), "-o", join(dir, "out.fz"));
    expect(r.code).toBe(0);
    expect(r.err).toContain("p.fz: no finding (text program; no bug switches); nothing to minimize");
    expect(existsSync(join(dir, "out.fz"))).toBe(false);
    expect((await cli("minimize", "--help")).out).toContain("usage: futex-fuzz minimize FILE");
    expect((await cli("minimize")).code).toBe(2);
  });
});
