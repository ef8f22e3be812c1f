// node dist/scripts/export-seed-corpus.js --out DIR [--zip-with zip|builtin] [TARGET...]
//
// Writes DIR/<target>_seed_corpus.zip for each target (default: every target of src/program/targets.ts):
// the byte encodings of the text programs in corpus/seeds and corpus/conformance that are in the
// target's event set, exactly what `futex-fuzz fuzz` seeds its byte corpus with (src/fuzzing/seeds.ts),
// named by SHA-1. ClusterFuzzLite / OSS-Fuzz unpack <target>_seed_corpus.zip next to the target
// into its starting corpus (.clusterfuzzlite/build.sh calls this script). Next to it,
// DIR/<target>.dict: the event dictionary of the same programs (src/fuzzing/dictionary.ts), which
// ClusterFuzz passes to libFuzzer as -dict like `futex-fuzz fuzz` does.
//
// The archive is written with the `zip` binary when it is on PATH, else with the small stored
// (uncompressed) zip writer below; --zip-with forces one. Exit status: 0, 1 when a seed file does
// not load or a target ends up with no seed at all, 2 usage error.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { TARGET_EVENTS, targetEvents } from "../src/program/targets.js";
import { SEED_DIRS } from "../src/fuzzing/paths.js";
import { seedCorpus, type SeedReport } from "../src/fuzzing/seeds.js";
import { writeDictionary } from "../src/fuzzing/dictionary.js";

// ---- a stored (method 0) zip writer: local headers, central directory, end record ----------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

/**
 * A zip archive with every entry stored uncompressed, timestamps fixed at 1980-01-01 00:00 so
 * the same entries always give the same bytes. No zip64: at most 65535 entries of < 4 GiB.
 */
export function storedZip(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > 0xffff) throw new Error(`zip: ${entries.length} entries (at most 65535 without zip64)`);
  const DOS_TIME = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const crc = crc32(e.data);
    const size = e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed: 1.0 (stored)
    local.writeUInt16LE(0x0800, 6); // flags: names are UTF-8
    local.writeUInt16LE(0, 8); // method: stored
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: unix, 2.0
    central.writeUInt16LE(10, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(size, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    // extra, comment, disk number, internal attributes: 0
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: regular file rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength));
    centrals.push(central, name);
    offset += local.length + name.length + size;
  }
  const cdSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

// ---- export -----------------------------------------------------------------------------------

export type ZipWith = "zip" | "builtin";

export function zipAvailable(): boolean {
  return spawnSync("zip", ["-v"], { stdio: "ignore" }).status === 0;
}

/** Zip the files of `dir` (flat) into `dest`, replacing it. */
export function zipDir(dir: string, dest: string, how: ZipWith): void {
  const names = readdirSync(dir).sort();
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  if (how === "zip") {
    // -X: no extra attributes, -D: no directory entries; names come on stdin (-@)
    const r = spawnSync("zip", ["-q", "-X", "-D", tmp, "-@"], { cwd: dir, input: names.join("\n") + "\n", encoding: "utf8" });
    if (r.status !== 0) throw new Error(`zip failed (${r.status ?? r.signal}): ${r.stderr}`);
  } else {
    writeFileSync(tmp, storedZip(names.map((name) => ({ name, data: readFileSync(join(dir, name)) }))));
  }
  renameSync(tmp, dest);
}

export interface ExportResult {
  target: string;
  zip: string;
  dict: string;
  /** words in the dictionary */
  words: number;
  seeds: SeedReport;
}

export function exportSeedCorpus(out: string, targets: readonly string[], how: ZipWith, seedDirs: readonly string[] = SEED_DIRS): ExportResult[] {
  mkdirSync(out, { recursive: true });
  const results: ExportResult[] = [];
  for (const target of targets) {
    const table = targetEvents(target);
    const tmp = mkdtempSync(join(tmpdir(), `ff-seeds-${target}-`));
    try {
      const seeds = seedCorpus(tmp, table, seedDirs);
      const zip = join(out, `${target}_seed_corpus.zip`);
      zipDir(tmp, zip, how);
      const dict = join(out, `${target}.dict`);
      const words = writeDictionary(dict, seeds.programs, table);
      results.push({ target, zip, dict, words, seeds });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return results;
}

const USAGE = "usage: export-seed-corpus --out DIR [--zip-with zip|builtin] [TARGET...]\n";

export function main(argv: readonly string[]): number {
  let out: string | undefined;
  let how: ZipWith | undefined;
  const targets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--out") out = argv[++i];
    else if (a === "--zip-with") {
      const v = argv[++i];
      if (v !== "zip" && v !== "builtin") return process.stderr.write(USAGE), 2;
      how = v;
    } else if (a === "-h" || a === "--help") return process.stdout.write(USAGE), 0;
    else if (a.startsWith("-")) return process.stderr.write(`export-seed-corpus: unknown option ${a}\n${USAGE}`), 2;
    else targets.push(a);
  }
  if (!out) return process.stderr.write(USAGE), 2;
  for (const t of targets) {
    try {
      targetEvents(t);
    } catch (e) {
      return process.stderr.write(`export-seed-corpus: ${(e as Error).message}\n`), 2;
    }
  }
  how ??= zipAvailable() ? "zip" : "builtin";
  let bad = 0;
  for (const r of exportSeedCorpus(resolve(out), targets.length ? targets : Object.keys(TARGET_EVENTS), how)) {
    const s = r.seeds;
    process.stdout.write(`${r.zip}: ${s.seeded} inputs from ${s.files} programs (${s.outOfTarget} outside the target) [${how}]; ${r.dict}: ${r.words} words\n`);
    for (const b of s.broken) process.stderr.write(`export-seed-corpus: ${b}\n`);
    if (s.broken.length || s.seeded === 0) bad++;
    if (s.seeded === 0) process.stderr.write(`export-seed-corpus: ${r.target}: no seed program is in the target\n`);
  }
  return bad ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exitCode = main(process.argv.slice(2));
