#!/usr/bin/env node
// postinstall: make @jazzer.js/fuzzer's prebuilt linux-x64 addon load on glibc < 2.38.
//
// The prebuild was linked against glibc 2.38 / libstdc++ 13 and so asks the dynamic
// loader for version nodes GLIBC_2.38 and GLIBCXX_3.4.32, which older systems lack.
// We patch the ELF in place (no size change, no new strings):
//   1. mark those two version needs weak (VER_FLG_WEAK), so ld.so only warns-if-missing;
//   2. the only GLIBC_2.38 imports are the C23 __isoc23_strtol/__isoc23_strtoul; rebind
//      them to plain strtol/strtoul@GLIBC_2.2.5 (same ABI; the C23 variants only add
//      "0b" binary-prefix parsing). "strtol" is a suffix of "__isoc23_strtol" in .dynstr,
//      so we just bump st_name. They are undefined imports, so .gnu.hash is unaffected.
// Nothing here is hard-coded by offset: everything is found through the section headers.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TAG = 'patch-jazzer-glibc';
const SHT_DYNSYM = 11;                 // section type of .dynsym
const SHT_GNU_VERNEED = 0x6ffffffe;    // section type of .gnu.version_r
const SHT_GNU_VERSYM = 0x6fffffff;     // section type of .gnu.version
const VER_FLG_WEAK = 0x2;              // vna_flags bit: missing version is not fatal
const VERSYM_HIDDEN = 0x8000;          // versym bit 15; low 15 bits are the version index
const SHN_UNDEF = 0;                   // st_shndx of an imported (undefined) symbol

/** Version needs to make weak. */
export const WEAK_VERSIONS = ['GLIBC_2.38', 'GLIBCXX_3.4.32'];
/** Imports to rebind: from -> to (to must be a suffix of from), bound to libc GLIBC_2.2.5. */
export const RENAMES = { __isoc23_strtol: 'strtol', __isoc23_strtoul: 'strtoul' };
const REBIND_FILE = 'libc.so.6';
const REBIND_VERSION = 'GLIBC_2.2.5';

/** Read a NUL-terminated string at byte offset `off`. */
function cstr(buf, off) {
  const end = buf.indexOf(0, off);
  return buf.toString('latin1', off, end < 0 ? buf.length : end);
}

/**
 * Parse the ELF64 LE header and section header table.
 * Elf64_Ehdr: e_shoff u64 @0x28, e_shentsize u16 @0x3a, e_shnum u16 @0x3c.
 * Elf64_Shdr: sh_type u32 @4, sh_offset u64 @24, sh_size u64 @32, sh_link u32 @40,
 *             sh_info u32 @44, sh_entsize u64 @56.
 */
function readSections(buf) {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('not ELF64 little-endian');
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  if (shoff === 0 || shoff + shnum * shentsize > buf.length) throw new Error('bad section header table');
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    sections.push({
      type: buf.readUInt32LE(h + 4),
      offset: Number(buf.readBigUInt64LE(h + 24)),
      size: Number(buf.readBigUInt64LE(h + 32)),
      link: buf.readUInt32LE(h + 40),
      info: buf.readUInt32LE(h + 44),
      entsize: Number(buf.readBigUInt64LE(h + 56)),
    });
  }
  const find = (type) => {
    const s = sections.find((x) => x.type === type);
    if (!s) throw new Error(`no section of type 0x${type.toString(16)}`);
    return s;
  };
  const dynsym = find(SHT_DYNSYM);
  const verneed = find(SHT_GNU_VERNEED);
  return {
    dynsym,                                  // .dynsym: Elf64_Sym[]
    dynstr: sections[dynsym.link],           // .dynstr: string table named by .dynsym's sh_link
    versym: find(SHT_GNU_VERSYM),            // .gnu.version: u16 per .dynsym entry
    verneed,                                 // .gnu.version_r: Elf64_Verneed chain
    verneedStr: sections[verneed.link],      // string table for the verneed names
  };
}

/**
 * List every version need (Vernaux) in .gnu.version_r.
 * Elf64_Verneed (16 bytes): vn_version u16 @0, vn_cnt u16 @2, vn_file u32 @4,
 *                           vn_aux u32 @8 (rel. offset of 1st Vernaux), vn_next u32 @12.
 * Elf64_Vernaux (16 bytes): vna_hash u32 @0, vna_flags u16 @4, vna_other u16 @6
 *                           (version index used in .gnu.version), vna_name u32 @8, vna_next u32 @12.
 * @returns {{file:string,name:string,flags:number,other:number,hash:number,offset:number}[]}
 */
export function readVersionNeeds(buf, secs = readSections(buf)) {
  const { verneed, verneedStr } = secs;
  const out = [];
  let vn = verneed.offset;
  for (let i = 0; i < verneed.info; i++) {   // sh_info = number of Verneed entries
    const file = cstr(buf, verneedStr.offset + buf.readUInt32LE(vn + 4));
    let aux = vn + buf.readUInt32LE(vn + 8);
    for (let j = 0, cnt = buf.readUInt16LE(vn + 2); j < cnt; j++) {
      out.push({
        file,
        name: cstr(buf, verneedStr.offset + buf.readUInt32LE(aux + 8)),
        hash: buf.readUInt32LE(aux),
        flags: buf.readUInt16LE(aux + 4),
        other: buf.readUInt16LE(aux + 6),
        offset: aux,                           // file offset of this Vernaux
      });
      aux += buf.readUInt32LE(aux + 12);
    }
    const next = buf.readUInt32LE(vn + 12);
    if (next === 0) break;
    vn += next;
  }
  return out;
}

/**
 * List the dynamic symbols with their version index.
 * Elf64_Sym (24 bytes): st_name u32 @0, st_info u8 @4, st_other u8 @5, st_shndx u16 @6, ...
 */
export function readDynSyms(buf, secs = readSections(buf)) {
  const { dynsym, dynstr, versym } = secs;
  const entsize = dynsym.entsize || 24;
  const count = Math.floor(dynsym.size / entsize);
  const syms = [];
  for (let i = 0; i < count; i++) {
    const off = dynsym.offset + i * entsize;
    const stName = buf.readUInt32LE(off);
    syms.push({
      index: i,
      offset: off,
      stName,
      name: cstr(buf, dynstr.offset + stName),
      shndx: buf.readUInt16LE(off + 6),
      versymOffset: versym.offset + 2 * i,
      version: buf.readUInt16LE(versym.offset + 2 * i) & ~VERSYM_HIDDEN,
    });
  }
  return syms;
}

/**
 * Patch a copy of the addon bytes. Idempotent: a second call reports no changes.
 * @param {Uint8Array} input
 * @returns {{buf: Buffer, changes: {kind:'weak'|'rebind', what:string, detail:string}[]}}
 */
export function patchAddon(input) {
  const buf = Buffer.from(input);            // always a private copy
  const secs = readSections(buf);
  const needs = readVersionNeeds(buf, secs);
  const changes = [];

  // 1. Weak version needs.
  for (const n of needs) {
    if (WEAK_VERSIONS.includes(n.name) && !(n.flags & VER_FLG_WEAK)) {
      buf.writeUInt16LE(n.flags | VER_FLG_WEAK, n.offset + 4);
      changes.push({ kind: 'weak', what: n.name, detail: n.file });
    }
  }

  // 2. Rebind the C23 strtol family to the classic symbols.
  const syms = readDynSyms(buf, secs).filter((s) => s.shndx === SHN_UNDEF && s.name in RENAMES);
  if (syms.length > 0) {
    const target = needs.find((n) => n.file === REBIND_FILE && n.name === REBIND_VERSION);
    if (!target) throw new Error(`no ${REBIND_VERSION} version need for ${REBIND_FILE}`);
    // Report in RENAMES order so the message is stable.
    syms.sort((a, b) => Object.keys(RENAMES).indexOf(a.name) - Object.keys(RENAMES).indexOf(b.name));
    for (const s of syms) {
      const to = RENAMES[s.name];
      if (!s.name.endsWith(to)) throw new Error(`${to} is not a suffix of ${s.name}`);
      buf.writeUInt32LE(s.stName + (s.name.length - to.length), s.offset);  // st_name -> suffix
      buf.writeUInt16LE(target.other, s.versymOffset);                       // versym -> GLIBC_2.2.5
      changes.push({ kind: 'rebind', what: s.name, detail: `${to}@${REBIND_VERSION}` });
    }
  }
  return { buf, changes };
}

/** Compare dotted version strings numerically: <0, 0, >0. */
function cmpVersion(a, b) {
  const pa = a.split('.').map(Number), pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d) return d;
  }
  return 0;
}

/** One-line human summary of `changes`. */
export function describe(changes) {
  const weak = changes.filter((c) => c.kind === 'weak').map((c) => c.what);
  const reb = changes.filter((c) => c.kind === 'rebind');
  const parts = [];
  if (weak.length) parts.push(`marked ${weak.join(', ')} weak`);
  if (reb.length) {
    parts.push(`rebound ${reb.map((c) => c.what).join('/')} to ` +
      `${reb.map((c) => RENAMES[c.what]).join('/')}@${REBIND_VERSION}`);
  }
  return parts.join(', ');
}

function defaultAddonPath() {
  try {
    const pkg = createRequire(import.meta.url).resolve('@jazzer.js/fuzzer/package.json');
    return path.join(path.dirname(pkg), 'prebuilds', 'fuzzer-linux-x64.node');
  } catch {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    return path.join(root, 'node_modules', '@jazzer.js', 'fuzzer', 'prebuilds', 'fuzzer-linux-x64.node');
  }
}

/** CLI: never throws, never exits non-zero; prints exactly one line. */
export function main(argv = process.argv.slice(2)) {
  const glibc = process.report?.getReport().header.glibcVersionRuntime;
  if (process.platform !== 'linux' || process.arch !== 'x64' || !glibc) {
    return `${TAG}: ${process.platform}-${process.arch}${glibc ? '' : ' without glibc'}: nothing to do`;
  }
  if (cmpVersion(glibc, '2.38') >= 0) return `${TAG}: glibc ${glibc} >= 2.38: nothing to do`;
  const file = argv[0] ? path.resolve(argv[0]) : defaultAddonPath();
  if (!fs.existsSync(file)) return `${TAG}: glibc ${glibc} < 2.38 but ${file} not found: nothing to do`;
  try {
    const { buf, changes } = patchAddon(fs.readFileSync(file));
    if (changes.length === 0) return `${TAG}: glibc ${glibc} < 2.38: ${file} already patched`;
    const backup = `${file}.orig`;
    if (!fs.existsSync(backup)) fs.copyFileSync(file, backup, fs.constants.COPYFILE_EXCL);
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      fs.writeFileSync(tmp, buf, { mode: fs.statSync(file).mode });
      fs.renameSync(tmp, file);              // atomic replace on the same filesystem
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    return `${TAG}: glibc ${glibc} < 2.38: ${describe(changes)} in ${file}`;
  } catch (err) {
    return `${TAG}: could not patch ${file}: ${err instanceof Error ? err.message : err} (left unchanged)`;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(main());
}
