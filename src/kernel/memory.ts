// User memory: one-page regions of u32 words, anonymous (private, copied on fork) or file-backed
// (shared page 0 of a file). A region name stands for one fixed virtual address. Addresses fit
// in a u32 (REGION_BASE + r * 4096), so user pointers are u32 words here: the robust-list head
// uses the 32-bit (compat) layout, see futex/robust.ts.
import { PAGE_SIZE } from "../program/types.js";

export const REGION_BASE = 0x10000000;

export class Page {
  // sparse: a fuzz input touches a handful of words of a page, and a 4 KiB typed array per
  // touched page cost more in allocation than every access together
  private w: Map<number, number> | null = null;
  constructor(readonly file: number | null) {}
  word(i: number): number {
    return this.w?.get(i) ?? 0;
  }
  setWord(i: number, v: number): void {
    (this.w ??= new Map()).set(i, v >>> 0);
  }
  copy(): Page {
    const p = new Page(this.file);
    if (this.w) p.w = new Map(this.w);
    return p;
  }
}

export interface Mapping {
  page: Page;
  /** file index for file-backed (MAP_SHARED) mappings, null for anonymous ones */
  file: number | null;
}

/** the index of the u32 word holding addr within its page */
export function wordIndex(addr: number): number {
  return ((addr - REGION_BASE) % PAGE_SIZE) >> 2;
}

export function regionAddress(region: number): number {
  return REGION_BASE + region * PAGE_SIZE;
}

/** Files exist from the start; page 0 of file fN is one shared page, initially zero. */
export class Files {
  private readonly pages = new Map<number, Page>();
  page(file: number): Page {
    let p = this.pages.get(file);
    if (!p) this.pages.set(file, (p = new Page(file)));
    return p;
  }
}

export class AddressSpace {
  readonly regions = new Map<number, Mapping>();

  /** dup_mm's copy of the mappings: anonymous pages copied, file pages shared. */
  copy(): AddressSpace {
    const as = new AddressSpace();
    for (const [r, m] of this.regions) as.regions.set(r, { file: m.file, page: m.file === null ? m.page.copy() : m.page });
    return as;
  }

  /** Translate a user address; null when unmapped (the kernel would fault: -EFAULT). */
  lookup(addr: number): { map: Mapping; region: number; index: number } | null {
    const rel = addr - REGION_BASE;
    if (rel < 0) return null;
    const region = Math.floor(rel / PAGE_SIZE);
    const map = this.regions.get(region);
    if (!map) return null;
    return { map, region, index: (rel % PAGE_SIZE) >> 2 };
  }

  /** The page mapped at addr, or null (every user access goes through here: no object made). */
  pageAt(addr: number): Page | null {
    const rel = addr - REGION_BASE;
    if (rel < 0) return null;
    return this.regions.get(Math.floor(rel / PAGE_SIZE))?.page ?? null;
  }

  read(addr: number): number | null {
    const page = this.pageAt(addr);
    return page ? page.word(wordIndex(addr)) : null;
  }

  write(addr: number, v: number): boolean {
    const page = this.pageAt(addr);
    if (!page) return false;
    page.setWord(wordIndex(addr), v);
    return true;
  }

  /**
   * A u32 read at any byte address (get_user of a possibly misaligned pointer): little-endian,
   * may straddle two words; null when a touched page is unmapped.
   */
  readUnaligned(addr: number): number | null {
    const sh = addr & 3;
    const lo = this.read(addr - sh);
    if (lo === null || sh === 0) return lo;
    const hi = this.read(addr - sh + 4);
    if (hi === null) return null;
    return ((lo >>> (8 * sh)) | (hi << (32 - 8 * sh))) >>> 0;
  }
}
