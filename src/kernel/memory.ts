// User memory: one-page regions of u32 words, anonymous (private, copied on fork) or file-backed
// (shared page 0 of a file). A region name stands for one fixed virtual address. Addresses fit
// in a u32 (REGION_BASE + r * 4096), so user pointers are u32 words here: the robust-list head
// uses the 32-bit (compat) layout, see futex/robust.ts.
import { FUTEX_TID_MASK, PAGE_SIZE } from "../program/types.js";

export const REGION_BASE = 0x10000000;
export const WORDS_PER_PAGE = PAGE_SIZE / 4;

/**
 * What a user word is, for the robust-list sanitizer (shadow state: the kernel never reads it).
 * Tags live in the page, so they follow the memory: munmap/mmap replace the page and its tags.
 * `Page.owners` holds a TID next to the tag: for RobustMutex the owner TID that user space last
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
  // allocated on first touch: most mapped pages of a fuzz input are never written
  private w: Uint32Array | null = null;
  private t: Uint8Array | null = null;
  private o: Uint32Array | null = null;
  constructor(readonly file: number | null) {}
  get words(): Uint32Array {
    return (this.w ??= new Uint32Array(WORDS_PER_PAGE));
  }
  get tags(): Uint8Array {
    if (!this.t) {
      this.t = new Uint8Array(WORDS_PER_PAGE);
      if (this.file !== null) this.t.fill(WordTag.FileData);
    }
    return this.t;
  }
  get owners(): Uint32Array {
    return (this.o ??= new Uint32Array(WORDS_PER_PAGE));
  }
  copy(): Page {
    const p = new Page(this.file);
    if (this.w) p.w = this.w.slice();
    if (this.t) p.t = this.t.slice();
    if (this.o) p.o = this.o.slice();
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
    return l ? l.map.page.words[l.index]! : null;
  }

  write(addr: number, v: number): boolean {
    const l = this.lookup(addr);
    if (!l) return false;
    l.map.page.words[l.index] = v >>> 0;
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
    return { tag: p.tags[l.index] as WordTag, owner: p.owners[l.index]!, file: p.file };
  }

  /** Set a word's shadow tag (robust mutex code, sanitizers). */
  setTag(addr: number, tag: WordTag, owner: number): void {
    const l = this.lookup(addr);
    if (!l) return;
    l.map.page.tags[l.index] = tag;
    l.map.page.owners[l.index] = owner >>> 0;
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
    p.words[l.index] = v >>> 0;
    const tag = p.tags[l.index] as WordTag;
    if (tag === WordTag.RobustHead || tag === WordTag.RobustNode) {
      p.tags[l.index] = p.dataTag;
      p.owners[l.index] = 0;
    } else if (tag === WordTag.RobustMutex) p.owners[l.index] = v & FUTEX_TID_MASK;
    return true;
  }
}
