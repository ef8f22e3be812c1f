import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  patchAddon,
  readDynSyms,
  readVersionNeeds,
  RENAMES,
  WEAK_VERSIONS,
} from '../scripts/patch-jazzer-glibc.mjs';

const require = createRequire(import.meta.url);
const isLinuxX64 = process.platform === 'linux' && process.arch === 'x64';
const fuzzerDir = path.dirname(require.resolve('@jazzer.js/fuzzer/package.json'));
const addonPath = path.join(fuzzerDir, 'prebuilds', 'fuzzer-linux-x64.node');
// The postinstall step keeps the unpatched bytes in *.orig; on glibc >= 2.38 it never
// patches, so the addon itself is still the original.
const originalPath = existsSync(`${addonPath}.orig`) ? `${addonPath}.orig` : addonPath;

describe('@jazzer.js/fuzzer native addon', () => {
  it.skipIf(!isLinuxX64)('loads (skipped: prebuilt addon under test is linux-x64 only)', () => {
    const addon = require(addonPath) as Record<string, unknown>;
    expect(typeof addon.startFuzzing).toBe('function');
  });
});

describe('patch-jazzer-glibc', () => {
  const original = readFileSync(originalPath);

  it('is idempotent on the original bytes', () => {
    const first = patchAddon(original);
    expect(first.changes.map((c) => c.what)).toEqual([...WEAK_VERSIONS, ...Object.keys(RENAMES)]);
    const second = patchAddon(first.buf);
    expect(second.changes).toEqual([]);
    expect(Buffer.compare(second.buf, first.buf)).toBe(0);
    // The input is never mutated and the size never changes.
    expect(Buffer.compare(original, readFileSync(originalPath))).toBe(0);
    expect(first.buf.length).toBe(original.length);
  });

  it('marks GLIBC_2.38 and GLIBCXX_3.4.32 needs weak and rebinds the C23 strtol family', () => {
    const patched = patchAddon(original).buf;
    const needs = readVersionNeeds(patched);
    for (const name of WEAK_VERSIONS) {
      const need = needs.find((n) => n.name === name);
      expect(need, name).toBeDefined();
      expect(need!.flags & 0x2, `${name} VER_FLG_WEAK`).toBe(0x2);
    }
    // Every other version need keeps its original flags.
    const before = readVersionNeeds(original);
    for (const [i, n] of needs.entries()) {
      if (!WEAK_VERSIONS.includes(n.name)) expect(n.flags).toBe(before[i]!.flags);
    }

    const libc225 = needs.find((n) => n.file === 'libc.so.6' && n.name === 'GLIBC_2.2.5');
    expect(libc225).toBeDefined();
    const syms = readDynSyms(patched);
    expect(syms.some((s) => s.name in RENAMES)).toBe(false);
    const origSyms = readDynSyms(original);
    for (const s of origSyms.filter((x) => x.name in RENAMES)) {
      expect(syms[s.index]!.name).toBe(RENAMES[s.name]);
      expect(syms[s.index]!.version).toBe(libc225!.other);
    }
  });
});
