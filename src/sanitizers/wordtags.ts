// The robust-list sanitizer's shadow of user memory: for each word, what the code that wrote it
// says it is (WordTag) and the TID that goes with it. Kept per page, so it follows the memory:
// munmap/mmap replace the page and with it the tags; fork copies an anonymous page's tags with
// the page. A word nobody tagged is ordinary data of its page (anonymous or file).
import { WordTag } from "../kernel/hooks.js";
import { wordIndex, type AddressSpace, type Page } from "../kernel/memory.js";
import { FUTEX_TID_MASK } from "../program/types.js";

export interface WordShadow {
  tag: WordTag;
  owner: number;
  file: number | null;
}

/** the tag a word of `page` falls back to when it is not (or no longer) robust-list metadata */
function dataTag(page: Page): WordTag {
  return page.file === null ? WordTag.Plain : WordTag.FileData;
}

export class WordTags {
  /**
   * per page: word index -> tag + owner * 8. A run's pages die with the run (a Map is cheaper
   * to make than a WeakMap, and one is made per execution); lookups only, never iterated. Made
   * on the first tag (null until then).
   */
  private pages: Map<Page, Map<number, number>> | null = null;

  tagOf(as: AddressSpace, addr: number): WordShadow | null {
    const page = as.pageAt(addr);
    if (!page) return null;
    const x = this.pages?.get(page)?.get(wordIndex(addr));
    return x === undefined ? { tag: dataTag(page), owner: 0, file: page.file } : { tag: (x & 7) as WordTag, owner: Math.floor(x / 8), file: page.file };
  }

  /** Is the word at addr tagged `tag` with owner `owner`? (the exit walk's per-entry check: no object made) */
  is(as: AddressSpace, addr: number, tag: WordTag, owner: number): boolean {
    const page = as.pageAt(addr);
    if (!page) return false;
    const x = this.pages?.get(page)?.get(wordIndex(addr));
    return x === undefined ? tag === dataTag(page) && owner === 0 : x === tag + (owner >>> 0) * 8;
  }

  set(as: AddressSpace, addr: number, tag: WordTag, owner: number): void {
    const page = as.pageAt(addr);
    if (!page) return;
    const pages = (this.pages ??= new Map());
    let m = pages.get(page);
    if (!m) pages.set(page, (m = new Map()));
    m.set(wordIndex(addr), tag + (owner >>> 0) * 8);
  }

  /**
   * A plain user store. Into robust-list metadata it makes the word ordinary data again (the list
   * is now the user's own forgery); into a robust mutex word it is the user's own mutex protocol,
   * so the owner follows the TID bits stored.
   */
  userStore(as: AddressSpace, addr: number, v: number): void {
    const s = this.tagOf(as, addr);
    if (!s) return;
    const page = as.pageAt(addr)!;
    if (s.tag === WordTag.RobustHead || s.tag === WordTag.RobustNode) this.set(as, addr, dataTag(page), 0);
    else if (s.tag === WordTag.RobustMutex) this.set(as, addr, s.tag, v & FUTEX_TID_MASK);
  }

  /** The kernel stored into the word (OWNER_DIED, a robust unlock): it keeps its tag, no owner. */
  kernelWrite(as: AddressSpace, addr: number): void {
    const s = this.tagOf(as, addr);
    if (s) this.set(as, addr, s.tag, 0);
  }

  /** dup_mmap: the child's copies of anonymous pages start with the parent's tags. */
  copied(from: AddressSpace, to: AddressSpace): void {
    const pages = this.pages;
    if (!pages) return;
    for (const [r, m] of from.regions) {
      const c = to.regions.get(r);
      const tags = pages.get(m.page);
      if (c && c.page !== m.page && tags) pages.set(c.page, new Map(tags));
    }
  }
}
