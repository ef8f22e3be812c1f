// Robust-list corruption sanitizer. It watches the exit-time robust list walk (exit_robust_list /
// handle_futex_death) and reports when the kernel writes OWNER_DIED into a user word that is not
// a live robust futex of the exiting task, or when the walk runs past ROBUST_LIST_LIMIT.
//
// It reads only simulated shadow state, never bug switches:
// - word tags and owners (wordtags.ts): they follow the memory, so after munmap + mmap of a
//   file at the same address the word is FileData;
// - the per-task protocol state kept here (RobustShadow): the mutexes the user-space robust mutex
//   code of a task holds or is acquiring. A mutex leaves that set when its unlock releases it
//   (the cmpxchg TID -> 0, or the FUTEX_ROBUST_UNLOCK syscall);
// - the provenance of the pointers the walk followed: a pointer read from a word that is not
//   robust-list metadata of the exiting task (a user store overwrote it, or the head's page was
//   replaced) means user space forged its own list; the kernel just did what the ABI says.
//
// A write is a finding when the pointer is not forged, the target is not in the task's live set
// (so user space did not abandon a mutex it still held), and the target word is not a robust mutex
// whose owner (as user space last wrote it) is the exiting task. That is exactly the stale
// list_op_pending of the robust unlock race (7010c39d): released, remapped, TID in the new data.
import type { Kernel } from "../kernel/kernel.js";
import type { RobustUserOp } from "../kernel/hooks.js";
import type { Mm } from "../kernel/mm.js";
import type { Task } from "../kernel/task.js";
import type { AddressSpace } from "../kernel/memory.js";
import { REGION_BASE } from "../kernel/memory.js";
import { WordTag } from "../kernel/hooks.js";
import type { WordTags } from "./wordtags.js";
import { ROBUST_LIST_LIMIT } from "../kernel/futex/robust.js";
import { PAGE_SIZE } from "../program/types.js";

interface Live {
  /** mutex words this task's user code holds (acquired, not yet released) */
  held: Set<number>;
  /** the mutex its lock path is acquiring (list_op_pending set, cmpxchg not yet successful) */
  acquiring: number;
  /** the mutex its unlock path is releasing (started, the releasing store not yet done) */
  releasing: number;
  /**
   * the user code linked a node that was already on its list (it re-locked a mutex it held
   * after a stray store forged the word): the list no longer matches what it holds
   */
  listCorrupt: boolean;
  /** user space unmapped or remapped the memory of its registered robust_list_head */
  headLost: boolean;
}

/** Per-task protocol state of the user-space robust mutex code (shadow, per run). */
export class RobustShadow {
  private readonly live = new Map<Task, Live>();

  constructor(
    private readonly k: Kernel,
    private readonly tags: WordTags,
  ) {}

  /** a step of t's user-space robust mutex protocol on the mutex at `lock` */
  user(t: Task, op: RobustUserOp, lock: number): void {
    switch (op) {
      case "init":
        return this.newList(t);
      case "acquiring":
        return this.acquiring(t, lock);
      case "acquired":
        return this.acquired(t, lock);
      case "releasing":
        return this.releasing(t, lock);
      case "released":
        return this.released(t, lock);
      case "exec":
        return this.reset(t);
    }
  }

  private of(t: Task): Live {
    let l = this.live.get(t);
    if (!l) this.live.set(t, (l = { held: new Set(), acquiring: 0, releasing: 0, listCorrupt: false, headLost: false }));
    return l;
  }
  /** robust_init: a fresh, empty list */
  newList(t: Task): void {
    const l = this.of(t);
    l.listCorrupt = false;
    l.headLost = false;
  }
  /** glibc's ENQUEUE_MUTEX is about to link `node` at the front of the list at `head` */
  listAdd(t: Task, as: AddressSpace, head: number, node: number): void {
    let p = as.readUnaligned(head);
    for (let i = 0; i < ROBUST_LIST_LIMIT && p !== null && p !== head; i++) {
      if (p === node) {
        this.of(t).listCorrupt = true;
        return;
      }
      p = as.readUnaligned(p);
    }
  }
  /** the page under t's registered head was replaced: the list is whatever user space made of it */
  lostHead(t: Task): void {
    this.of(t).headLost = true;
  }
  headLost(t: Task): boolean {
    return this.live.get(t)?.headLost ?? false;
  }
  listCorrupt(t: Task): boolean {
    return this.live.get(t)?.listCorrupt ?? false;
  }
  acquiring(t: Task, lock: number): void {
    this.of(t).acquiring = lock;
  }
  acquired(t: Task, lock: number): void {
    const l = this.of(t);
    l.held.add(lock);
    if (l.acquiring === lock) l.acquiring = 0;
  }
  /** the unlock sequence started: the word stays claimed until its releasing store */
  releasing(t: Task, lock: number): void {
    this.of(t).releasing = lock;
  }
  released(t: Task, lock: number): void {
    const l = this.of(t);
    l.held.delete(lock);
    if (l.releasing === lock) l.releasing = 0;
  }
  /** exec: the old program and its address space are gone */
  reset(t: Task): void {
    this.live.delete(t);
  }
  isLive(t: Task, addr: number): boolean {
    const l = this.live.get(t);
    return !!l && (l.held.has(addr) || l.acquiring === addr || l.releasing === addr);
  }

  /**
   * Called by handle_futex_death right before its cmpxchg stores OWNER_DIED at `uaddr`.
   * `trusted`: every pointer that led to uaddr (and futex_offset) came from the task's own list.
   */
  deathWrite(t: Task, uaddr: number, trusted: boolean, pendingOp: boolean): void {
    if (!trusted || !t.mm) return;
    if (this.isLive(t, uaddr)) return;
    if (!pendingOp && this.listCorrupt(t)) return;
    if (this.headLost(t)) return;
    const s = this.tags.tagOf(t.mm.as, uaddr);
    if (!s) return;
    if (s.tag === WordTag.RobustMutex && s.owner === t.tid) return;
    const l = t.mm.as.lookup(uaddr)!;
    const what = describe(s.tag, s.owner);
    this.k.report(
      "robust-corruption",
      `robust-list corruption: OWNER_DIED written to ${what} in exit_robust_list`,
      t,
      [
        `${t.name} (TID ${t.tid}) is exiting; handle_futex_death(${hex(uaddr)}) for the ${pendingOp ? "list_op_pending entry" : "list entry"}`,
        `target m${l.region}+${l.index * 4} is ${what}${s.file !== null ? ` (file f${s.file})` : ""}, value ${hex(l.map.page.word(l.index))}`,
        `${t.name}'s user code holds no robust mutex there: the entry is stale (released, memory reused)`,
      ].join("\n"),
    );
  }

  /** Called by exit_robust_list for every entry it moves past: the walk must stop at the limit. */
  walk(t: Task, entries: number, limit: number): void {
    if (entries > limit)
      this.k.report(
        "robust-corruption",
        `robust-list corruption: exit_robust_list walked more than ${limit} entries`,
        t,
        `${t.name} (TID ${t.tid}): the robust list walk did not stop at ROBUST_LIST_LIMIT (${limit})`,
      );
  }

  /**
   * mmap/munmap of `region` in `mm`: a task whose registered robust_list_head lies there has had
   * its list pulled from under it by its own process (user-space UB, not a kernel write).
   */
  remap(mm: Mm, region: number): void {
    for (const t of this.k.taskList) {
      if (t.mm !== mm || !t.robust) continue;
      const first = Math.floor((t.robust.head - REGION_BASE) / PAGE_SIZE);
      const last = Math.floor((t.robust.head + t.robust.len - 1 - REGION_BASE) / PAGE_SIZE);
      if (region >= first && region <= last) this.lostHead(t);
    }
  }
}

/**
 * A word the walk read at `addr` is trustworthy iff it is robust-list metadata of `tid` in the
 * role the walk reads it for: the head's fields (list.next, futex_offset, list_op_pending) must be
 * head words, a node's `next` a node word. A head field that holds a node link (the head's page
 * was remapped onto memory the list code wrote nodes into) means user space corrupted its list.
 */
export function robust_meta_trusted(tags: WordTags, as: AddressSpace, addr: number, tid: number, role: "head" | "node"): boolean {
  if (addr & 3) return false;
  return tags.is(as, addr, role === "head" ? WordTag.RobustHead : WordTag.RobustNode, tid);
}

function describe(tag: WordTag, owner: number): string {
  switch (tag) {
    case WordTag.FileData:
      return "file data";
    case WordTag.Plain:
      return "anonymous memory";
    case WordTag.RobustHead:
      return "a robust list head";
    case WordTag.RobustNode:
      return "a robust list node";
    case WordTag.RobustMutex:
      return owner ? `a robust mutex owned by TID ${owner}` : "an unlocked robust mutex";
  }
}

function hex(n: number): string {
  return "0x" + (n >>> 0).toString(16);
}
