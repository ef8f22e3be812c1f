// Reference model: user memory. One page per region; anonymous pages belong to one address space
// (copied on fork), file pages are page 0 of a file, one page shared by everybody who maps it.
// Nothing here knows about the simulator's kernel; it follows the program contract (DESIGN §4).
import { PAGE_SIZE, type Addr } from "../program/types.js";

/** The address `mmap mN` returns (the simulator's fixed layout: one page per region name). */
export const REGION_BASE = 0x10000000;
export const regionAddress = (region: number): number => REGION_BASE + region * PAGE_SIZE;

export class Page {
  readonly words: Uint32Array;
  constructor(
    /** the file this page is page 0 of, or null for an anonymous page */
    readonly file: number | null,
    from?: Uint32Array,
  ) {
    this.words = from ? new Uint32Array(from) : new Uint32Array(PAGE_SIZE / 4);
  }
}

/** One address space: region name -> page. */
export class Space {
  readonly regions = new Map<number, Page>();

  /** fork: anonymous pages copied, file pages shared */
  copy(): Space {
    const s = new Space();
    for (const [r, p] of this.regions) s.regions.set(r, p.file === null ? new Page(null, p.words) : p);
    return s;
  }

  mapped(a: Addr): boolean {
    return this.regions.has(a.region);
  }

  /** u32 user load/store: the word containing the byte (the simulator aligns down). */
  read(a: Addr): number {
    return this.regions.get(a.region)!.words[a.off >> 2]!;
  }

  write(a: Addr, v: number): void {
    this.regions.get(a.region)!.words[a.off >> 2] = v >>> 0;
  }

  // Absolute user addresses (pointers read from memory, e.g. robust lists). Regions are
  // adjacent pages, so an access may run into the next region.

  private locate(addr: number): { page: Page; index: number } | null {
    const rel = addr - REGION_BASE;
    if (rel < 0) return null;
    const page = this.regions.get(Math.floor(rel / PAGE_SIZE));
    return page ? { page, index: (rel % PAGE_SIZE) >> 2 } : null;
  }

  /** u32 at a 4-aligned address; null when unmapped */
  readAt(addr: number): number | null {
    const l = this.locate(addr >>> 0);
    return l ? l.page.words[l.index]! : null;
  }

  /** u32 at any byte address (little-endian, may straddle two words); null when unmapped */
  readUnaligned(addr: number): number | null {
    addr >>>= 0;
    const sh = addr & 3;
    const lo = this.readAt(addr - sh);
    if (lo === null || sh === 0) return lo;
    const hi = this.readAt(addr - sh + 4);
    if (hi === null) return null;
    return ((lo >>> (8 * sh)) | (hi << (32 - 8 * sh))) >>> 0;
  }

  /** store a u32 at a 4-aligned address; false when misaligned or unmapped */
  writeAt(addr: number, v: number): boolean {
    addr >>>= 0;
    if (addr & 3) return false;
    const l = this.locate(addr);
    if (!l) return false;
    l.page.words[l.index] = v >>> 0;
    return true;
  }
}

/** Files exist from the start; page 0 of each is created (zeroed) on first mapping. */
export class Files {
  private readonly pages = new Map<number, Page>();
  page(file: number): Page {
    let p = this.pages.get(file);
    if (!p) this.pages.set(file, (p = new Page(file)));
    return p;
  }
}
