// The PI futex sanitizer. Its shadow: which PI futex words the kernel wrote last (a user store
// since makes a word the user's own business: the kernel must cope with any value there, and
// does, with -EINVAL), and the page under each pi_state's word (a remap replaces the word). It checks, when the kernel drops a bucket lock with a PI futex settled,
// that the owner TID in a word only the kernel wrote matches pi_state->owner of a pi_state a
// queued waiter still names (the "valid states"
// table of kernel/futex/pi.c: [8], or [6] TID 0 with OWNER_DIED); that a pi_state's refcount
// never goes below zero; and that an rt_mutex's waiter list stays consistent across requeue:
// each waiter enqueued once, on this lock, by priority, none of them the owner or a dead task.
import type { Kernel } from "../kernel/kernel.js";
import type { AddressSpace, Page } from "../kernel/memory.js";
import type { LockOwner } from "../kernel/sched.js";
import type { FutexPiState } from "../kernel/futex/pi_state.js";
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK } from "../program/types.js";
import { futex_hash_peek } from "../kernel/futex/core.js";
import { keyText, type FutexKey } from "../kernel/futex/hb.js";

export class PiShadow {
  /** per page: the PI futex words the kernel wrote, with the key it wrote them through and the value */
  private kernelWords: Map<Page, Map<number, { key: string; value: number }>> | null = null;
  /**
   * the page each pi_state's word was on when first seen settled, or "moved" once it was seen on
   * another: a remap is the user's doing, and so is what the word holds from then on (mapping
   * the first page back shows a word the kernel wrote before the move)
   */
  private pages: Map<FutexPiState, Page | "moved"> | null = null;
  // (both made on first write: one PiShadow per execution, and most never see a PI futex)

  constructor(private readonly k: Kernel) {}

  kernelWrite(as: AddressSpace, addr: number, value: number, key: FutexKey): void {
    const page = as.pageAt(addr);
    if (!page) return;
    const words = (this.kernelWords ??= new Map());
    let s = words.get(page);
    if (!s) words.set(page, (s = new Map()));
    s.set((addr & 4095) >>> 2, { key: keyText(key), value: value >>> 0 });
  }

  userWrite(as: AddressSpace, addr: number): void {
    const page = as.pageAt(addr);
    if (page) this.kernelWords?.get(page)?.delete((addr & 4095) >>> 2);
  }

  put(ps: FutexPiState, ctx: LockOwner): void {
    if (ps.refcount < 0) this.k.report("refcount", "refcount_t: underflow; use-after-free in put_pi_state", ctx, `struct futex_pi_state #${ps.hid}: refcount ${ps.refcount}`);
  }

  settled(ps: FutexPiState, as: AddressSpace, uaddr: number, ctx: LockOwner): void {
    if (ps.state === "freed" || !ps.owner || !ps.key) return;
    // only a pi_state a queued futex_q still names is the futex's state: one whose last waiter
    // was taken off (a leaving waiter futex_unlock_pi unqueued) is on its way out
    if (!futex_hash_peek(this.k, ps.key).chain.some((q) => q.pi_state === ps)) return;
    const page = as.pageAt(uaddr);
    if (!page) return;
    const pages = (this.pages ??= new Map());
    const first = pages.get(ps);
    if (first === "moved") return;
    if (!first) pages.set(ps, page);
    else if (first !== page) {
      pages.set(ps, "moved");
      return;
    }
    // written last by the PI code, through this pi_state's key, and unchanged since (a user store,
    // a non-PI op or a key of other flags on the same word is the user's own doing)
    const last = this.kernelWords?.get(page)?.get((uaddr & 4095) >>> 2);
    const uval = as.read(uaddr);
    if (uval === null || !last || last.key !== keyText(ps.key) || last.value !== uval) return;
    const tid = uval & FUTEX_TID_MASK;
    if (tid === ps.owner.tid || (tid === 0 && uval & FUTEX_OWNER_DIED)) return;
    this.k.report(
      "warn",
      `WARNING in ${ctx.frames[ctx.frames.length - 1] ?? "futex"}: PI futex word owner TID ${tid} but pi_state->owner is ${ps.owner.name} (TID ${ps.owner.tid})`,
      ctx,
      `word 0x${uaddr.toString(16)} = 0x${uval.toString(16)}, written last by the kernel; struct futex_pi_state #${ps.hid}`,
    );
  }

  waiters(ps: FutexPiState, ctx: LockOwner): void {
    const m = ps.pi_mutex;
    const seen = new Set<number>();
    let prio = -Infinity;
    for (const w of m.waiters) {
      let bad: string | null = null;
      if (w.lock !== m) bad = "a waiter on the list points at another lock";
      else if (seen.has(w.task.id)) bad = `${w.task.name} is enqueued twice`;
      else if (w.task === m.owner) bad = `the owner ${w.task.name} waits on its own lock`;
      else if (w.task.state === "exited") bad = `${w.task.name} has exited`;
      else if (w.prio < prio) bad = "the list is not in priority order";
      if (bad) this.k.report("warn", `WARNING in ${ctx.frames[ctx.frames.length - 1] ?? "rt_mutex"}: rt_mutex waiter list: ${bad}`, ctx);
      seen.add(w.task.id);
      prio = w.prio;
    }
  }
}
