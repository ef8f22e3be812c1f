// The ClusterFuzzLite / OSS-Fuzz build, run without docker: scripts/build-clusterfuzzlite-local.sh
// runs .clusterfuzzlite/build.sh against a temporary $SRC/$OUT with a stand-in for the image's
// compile_javascript_fuzzer. Checks what ClusterFuzzLite would pick up from $OUT: one executable
// per target that runs inputs, its .options, and a real zip seed corpus holding exactly what
// `futex-fuzz fuzz` seeds the target with, every seed clean on the fixed kernel.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { TARGET_EVENTS } from "../src/program/targets.js";
import { crc32, exportSeedCorpus, storedZip, zipAvailable } from "../scripts/export-seed-corpus.js";
import { PROJECT_ROOT, SEED_DIRS } from "../src/fuzzing/paths.js";
import { seedCorpus } from "../src/fuzzing/seeds.js";

const TARGETS = Object.keys(TARGET_EVENTS);
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `ff-cflite-${p}-`));

/** The entries of a zip archive (stored or deflated), read through its central directory; CRCs checked. */
function readZip(buf: Buffer): Map<string, Buffer> {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--)
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new Error("not a zip: no end of central directory record");
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const csize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString("utf8");
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`${name}: bad local header`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + csize);
    // method 8: raw deflate (what the zip binary uses for inputs it can shrink)
    const data = method === 0 ? Buffer.from(raw) : method === 8 ? inflateRawSync(raw) : undefined;
    if (!data) throw new Error(`${name}: compression method ${method}`);
    if (crc32(data) !== crc) throw new Error(`${name}: CRC mismatch`);
    out.set(name, data);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** what `futex-fuzz fuzz` seeds a target's byte corpus with: name -> bytes */
function expectedSeeds(target: string): Map<string, Buffer> {
  const dir = tmp(`seeds-${target}`);
  seedCorpus(dir, TARGET_EVENTS[target]!, SEED_DIRS);
  const m = new Map(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))] as const));
  rmSync(dir, { recursive: true, force: true });
  return m;
}

/** run a built target the way ClusterFuzzLite does (cwd elsewhere, libFuzzer flags, corpus dir) */
function runTarget(exe: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  const cwd = tmp("run");
  return new Promise((resolve) => {
    const child = spawn(exe, args, { cwd, env: { ...process.env, FUTEX_FUZZ_BUGS: "" }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => void (stderr += d));
    child.on("close", (status) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve({ status, stderr });
    });
  });
}

describe("ClusterFuzzLite build (.clusterfuzzlite/build.sh with a stand-in compile_javascript_fuzzer)", () => {
  let out: string;
  let log: string;
  beforeAll(() => {
    out = join(tmp("out"), "out");
    log = execFileSync("bash", [join(PROJECT_ROOT, "scripts", "build-clusterfuzzlite-local.sh"), out], { cwd: PROJECT_ROOT, encoding: "utf8", stdio: "pipe" });
  }, 300_000);

  it("skips npm ci on the linked node_modules and writes a wrapper, options and a seed zip per target", () => {
    expect(log).toMatch(/no npm ci/);
    const names = readdirSync(out).sort();
    const expected = ["futex-fuzz", ...TARGETS.flatMap((t) => [t, `${t}.options`, `${t}_seed_corpus.zip`, `${t}.dict`])].sort();
    expect(names).toEqual(expected);
    for (const t of TARGETS) {
      const st = statSync(join(out, t));
      expect(st.mode & 0o111, `${t} is executable`).not.toBe(0);
      const wrapper = readFileSync(join(out, t), "utf8");
      expect(wrapper).toContain("LLVMFuzzerTestOneInput");
      expect(wrapper).toContain(`dist/fuzz/${t}.js --sync --disable_bug_detectors=. --includes /src/kernel/ --includes /src/sanitizers/ --includes /src/exec/`);
      expect(readFileSync(join(out, `${t}.options`), "utf8")).toBe("[libfuzzer]\nuse_value_profile = 1\n");
    }
    // the project copy the wrappers run from has the compiled targets
    for (const t of TARGETS) expect(statSync(join(out, "futex-fuzz", "dist", "fuzz", `${t}.js`)).isFile()).toBe(true);
  });

  it("zips exactly the target's seeds (corpus/seeds + corpus/conformance in its event set, SHA-1 names)", () => {
    for (const t of TARGETS) {
      const zip = readZip(readFileSync(join(out, `${t}_seed_corpus.zip`)));
      const want = expectedSeeds(t);
      expect(zip.size, t).toBeGreaterThan(0);
      expect([...zip.keys()].sort(), t).toEqual([...want.keys()].sort());
      for (const [n, b] of want) expect(zip.get(n)!.equals(b), `${t}/${n}`).toBe(true);
    }
    if (spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0)
      for (const t of TARGETS) expect(spawnSync("unzip", ["-tq", join(out, `${t}_seed_corpus.zip`)]).status, t).toBe(0);
  });

  it("every target runs its whole seed corpus cleanly and then 50 more inputs, as ClusterFuzzLite calls it (with its .dict)", async () => {
    const runs = await Promise.all(
      TARGETS.map(async (t) => {
        const seeds = tmp(`unzipped-${t}`);
        const zip = readZip(readFileSync(join(out, `${t}_seed_corpus.zip`)));
        for (const [n, b] of zip) writeFileSync(join(seeds, n), b);
        // -runs counts the seed corpus's executions too
        const r = await runTarget(join(out, t), [`-runs=${zip.size + 50}`, "-seed=1", `-dict=${join(out, `${t}.dict`)}`, seeds]);
        rmSync(seeds, { recursive: true, force: true });
        return { t, r, n: zip.size + 50 };
      }),
    );
    for (const { t, r, n } of runs) {
      expect(r.status, `${t}: ${r.stderr.slice(-2000)}`).toBe(0);
      expect(r.stderr, t).toMatch(/INITED/);
      expect(r.stderr, t).toMatch(/Dictionary: [1-9]\d* entries/);
      expect(r.stderr, t).toContain(`Done ${n} runs`);
      expect(r.stderr, t).toMatch(/Skip loading bug detector/);
    }
  }, 120_000);
});

describe("export-seed-corpus", () => {
  it("the built-in stored-zip writer and the zip binary give archives with the same entries", () => {
    const a = tmp("builtin");
    const [r] = exportSeedCorpus(a, ["hash-resize"], "builtin");
    const built = readZip(readFileSync(r!.zip));
    expect([...built.keys()].sort()).toEqual([...expectedSeeds("hash-resize").keys()].sort());
    if (zipAvailable()) {
      const b = tmp("zipbin");
      const [z] = exportSeedCorpus(b, ["hash-resize"], "zip");
      const viaZip = readZip(readFileSync(z!.zip));
      expect([...viaZip.keys()].sort()).toEqual([...built.keys()].sort());
      for (const [n, d] of built) expect(viaZip.get(n)!.equals(d)).toBe(true);
      // re-exporting replaces the archive rather than appending to it
      exportSeedCorpus(b, ["hash-resize"], "zip");
      expect(readZip(readFileSync(z!.zip)).size).toBe(built.size);
    }
  });

  it("the stored-zip writer is deterministic and round-trips odd names and sizes", () => {
    const entries = [
      { name: "empty", data: new Uint8Array() },
      { name: "ünïcode-name", data: Buffer.from("text\n") },
      { name: "big", data: Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff) },
    ];
    const z = storedZip(entries);
    expect(storedZip(entries).equals(z)).toBe(true);
    const back = readZip(z);
    for (const e of entries) expect(back.get(e.name)!.equals(Buffer.from(e.data))).toBe(true);
    if (spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0) {
      const dir = tmp("unzip");
      writeFileSync(join(dir, "t.zip"), z);
      expect(spawnSync("unzip", ["-tq", join(dir, "t.zip")]).status).toBe(0);
    }
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });
});

describe("ClusterFuzzLite configuration", () => {
  const read = (p: string) => readFileSync(join(PROJECT_ROOT, p), "utf8");

  it("project.yaml and the Dockerfile name the JavaScript builder and copy the tree where build.sh expects it", () => {
    expect(read(".clusterfuzzlite/project.yaml")).toMatch(/^language: javascript$/m);
    const docker = read(".clusterfuzzlite/Dockerfile");
    expect(docker).toMatch(/^FROM gcr\.io\/oss-fuzz-base\/base-builder-javascript/m);
    expect(docker).toMatch(/^COPY \. \$SRC\/futex-fuzz$/m);
    expect(docker).toMatch(/^WORKDIR \$SRC\/futex-fuzz$/m);
    expect(docker).toMatch(/^COPY \.clusterfuzzlite\/build\.sh \$SRC\/$/m);
    expect(statSync(join(PROJECT_ROOT, ".clusterfuzzlite/build.sh")).mode & 0o111).not.toBe(0);
  });

  it("the workflows use the documented actions for javascript with sanitizer none: code-change on PRs, batch and prune on a schedule", () => {
    const pr = read(".github/workflows/cflite_pr.yml");
    const batch = read(".github/workflows/cflite_batch.yml");
    for (const w of [pr, batch]) {
      expect(w).toContain("uses: google/clusterfuzzlite/actions/build_fuzzers@v1");
      expect(w).toContain("uses: google/clusterfuzzlite/actions/run_fuzzers@v1");
      expect(w).not.toMatch(/language: (?!javascript)/);
      expect(w).not.toMatch(/sanitizer: (?!none)/);
    }
    expect(pr).toMatch(/pull_request:/);
    expect(pr).toMatch(/mode: code-change/);
    expect(pr).toMatch(/fuzz-seconds: 300/);
    expect(batch).toMatch(/schedule:/);
    expect(batch).toMatch(/mode: batch/);
    expect(batch).toMatch(/mode: prune/);
  });
});
