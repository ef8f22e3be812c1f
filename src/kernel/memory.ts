// User memory: one-page regions of u32 words, anonymous (private, copied on fork) or file-backed
// (shared page 0 of a file). A region name stands for one fixed virtual address.
import { PAGE_SIZE } from "../program/types.js";

export const REGION_BASE = 0x10000000;
export const WORDS_PER_PAGE = PAGE_SIZE / 4;

/** What a user word is, for the robust-list sanitizer. */
export const enum WordTag {
  Plain = 0,
  FileData = 1,
  RobustMutex = 2,
  RobustHead = 3,
}

export class Page {
  readonly words = new Uint32Array(WORDS_PER_PAGE);
  readonly tags = new Uint8Array(WORDS_PER_PAGE);
  constructor(readonly file: number | null) {
    if (file !== null) this.tags.fill(WordTag.FileData);
  }
  copy(): Page {
    const p = new Page(this.file);
    p.words.set(this.words);
    p.tags.set(this.tags);
    return p;
  }
}

export interface Mapping {
  page: Page;
  /** file index for file-backed (MAP_SHARED) mappings, null for anonymous ones */
  file: number | null;
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

  read(addr: number): number | null {
    const l = this.lookup(addr);
    return l ? l.map.page.words[l.index]! : null;
  }

  write(addr: number, v: number): boolean {
    const l = this.lookup(addr);
    if (!l) return false;
    l.map.page.words[l.index] = v >>> 0;
    return true;
  }
}
