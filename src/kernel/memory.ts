// User memory: one-page regions of u32 words, anonymous (private, copied on fork) or file-backed
// (shared page 0 of a file). A region name stands for one fixed virtual address. Addresses fit
// in a u32 (REGION_BASE + r * 4096), so user pointers are u32 words here: the robust-list head
// uses the 32-bit (compat) layout, see futex/robust.ts.
import { FUTEX_TID_MASK, PAGE_SIZE } from "../program/types.js";

export const REGION_BASE = 0x10000000;

/**
 * What a user word is, for the robust-list sanitizer (shadow state: the kernel never reads it).
 * Tags live in the page, so they follow the memory: munmap/mmap replace the page and its tags.
 * A page keeps an owner TID next to each word's tag: for RobustMutex the owner TID that user space last
 * wrote into the word (robust mutex code or a plain store); for RobustHead/RobustNode the TID of
 * the thread whose robust list the word belongs to; 0 otherwise.
 */
export const enum WordTag {
  /** ordinary anonymous data */
  Plain = 0,
  /** data of a file page */
  FileData = 1,
  /** the u32 lock word of a robust mutex (written by robust_lock/robust_pending) */
  RobustMutex = 2,
  /** a field of a robust_list_head written by robust_init or the robust mutex code */
  RobustHead = 3,
  /** the `next` field of a robust mutex's list node, written by the list add/remove code */
  RobustNode = 4,
}

export class Page {
  // sparse: a fuzz input touches a handful of words of a page, and a 4 KiB typed array per
  // touched page (three with the shadow) cost more in allocation than every access together
  private w: Map<number, number> | null = null;
  /** shadow per word: tag | owner TID << 3 (absent: the page's data tag, owner 0) */
  private s: Map<number, number> | null = null;
  constructor(readonly file: number | null) {}
  word(i: number): number {
    return this.w?.get(i) ?? 0;
  }
  setWord(i: number, v: number): void {
    (this.w ??= new Map()).set(i, v >>> 0);
  }
  tag(i: number): WordTag {
    const x = this.s?.get(i);
    return x === undefined ? this.dataTag : ((x & 7) as WordTag);
  }
  owner(i: number): number {
    const x = this.s?.get(i);
    return x === undefined ? 0 : Math.floor(x / 8);
  }
  setTag(i: number, tag: WordTag, owner: number): void {
    (this.s ??= new Map()).set(i, tag + (owner >>> 0) * 8);
  }
  copy(): Page {
    const p = new Page(this.file);
    if (this.w) p.w = new Map(this.w);
    if (this.s) p.s = new Map(this.s);
    return p;
  }
  /** the tag a word falls back to when it stops being robust-list metadata */
  get dataTag(): WordTag {
    return this.file === null ? WordTag.Plain : WordTag.FileData;
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
    return l ? l.map.page.word(l.index) : null;
  }

  write(addr: number, v: number): boolean {
    const l = this.lookup(addr);
    if (!l) return false;
    l.map.page.setWord(l.index, v);
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

  /** Shadow tag of a word (sanitizers); null when unmapped. */
  tagOf(addr: number): { tag: WordTag; owner: number; file: number | null } | null {
    const l = this.lookup(addr);
    if (!l) return null;
    const p = l.map.page;
    return { tag: p.tag(l.index), owner: p.owner(l.index), file: p.file };
  }

  /** Set a word's shadow tag (robust mutex code, sanitizers). */
  setTag(addr: number, tag: WordTag, owner: number): void {
    const l = this.lookup(addr);
    if (!l) return;
    l.map.page.setTag(l.index, tag, owner);
  }

  /**
   * A plain user store (the `store` event). A store into robust-list metadata makes it ordinary
   * data again (the list is now the user's own forgery); a store into a robust mutex word is the
   * user's own mutex protocol, so the owner follows the TID bits stored.
   */
  userWrite(addr: number, v: number): boolean {
    const l = this.lookup(addr);
    if (!l) return false;
    const p = l.map.page;
    p.setWord(l.index, v);
    const tag = p.tag(l.index);
    if (tag === WordTag.RobustHead || tag === WordTag.RobustNode) p.setTag(l.index, p.dataTag, 0);
    else if (tag === WordTag.RobustMutex) p.setTag(l.index, tag, v & FUTEX_TID_MASK);
    return true;
  }
}
