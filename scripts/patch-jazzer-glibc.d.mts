// Type declarations for scripts/patch-jazzer-glibc.mjs (plain ESM, used by tests).

export interface VersionNeed {
  /** Library named by the Elf64_Verneed entry, e.g. "libc.so.6". */
  file: string;
  /** Version node name, e.g. "GLIBC_2.38". */
  name: string;
  /** vna_hash (ELF hash of name). */
  hash: number;
  /** vna_flags; bit 0x2 is VER_FLG_WEAK. */
  flags: number;
  /** vna_other: version index referenced from .gnu.version. */
  other: number;
  /** File offset of the Elf64_Vernaux entry. */
  offset: number;
}

export interface DynSym {
  index: number;
  offset: number;
  stName: number;
  name: string;
  shndx: number;
  versymOffset: number;
  /** Version index from .gnu.version with the hidden bit cleared. */
  version: number;
}

export interface PatchChange {
  kind: 'weak' | 'rebind';
  /** Version name (weak) or original symbol name (rebind). */
  what: string;
  /** Library file (weak) or "newname@VERSION" (rebind). */
  detail: string;
}

export const WEAK_VERSIONS: readonly string[];
export const RENAMES: Readonly<Record<string, string>>;
export function readVersionNeeds(buf: Uint8Array): VersionNeed[];
export function readDynSyms(buf: Uint8Array): DynSym[];
export function patchAddon(input: Uint8Array): { buf: Buffer; changes: PatchChange[] };
export function describe(changes: PatchChange[]): string;
export function main(argv?: string[]): string;
