// What the kernel tells whoever watches it: the sanitizers (src/sanitizers/, which own all shadow
// state) and the fuzzer's state observer (src/fuzzing/state.ts). One interface, called at the kernel's
// own instrumentation points, the way KASAN's, kmemleak's and lockdep's hooks sit in real kernel
// code. A hook only reads kernel state and may stop the run with a report (Kernel.report); it
// never changes what the kernel does. Nothing here imports a sanitizer.
import type { KObj } from "./alloc.js";
import type { Kernel } from "./kernel.js";
import type { AddressSpace } from "./memory.js";
import type { Mm } from "./mm.js";
import type { LockOwner } from "./sched.js";
import type { Task } from "./task.js";
import type { FutexKey, FutexQ } from "./futex/hb.js";
import type { FutexPiState } from "./futex/pi_state.js";

/**
 * The fuzzer's view: told at a few sites that a transition happened (`site` is one of the OBS
 * sites below; `ctx` the context that runs it; `obj` what it is about). Unset in normal runs.
 */
export type Observe = (site: number, ctx: LockOwner | null, obj?: object | number) => void;

/**
 * What a user word is, for the robust-list sanitizer, as the code that wrote it says (the
 * sanitizer keeps the tags per page, so they follow the memory: munmap/mmap replace the page
 * and its tags). An owner TID goes with each tag: for RobustMutex the owner TID that user space last
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

/** What the sanitizers' shadow knows, for the fuzzer's observer (read-only). */
export interface ShadowView {
  /** futex waiters asleep in futex_wait, in the order they went to sleep */
  sleepers(): Iterable<FutexQ>;
  isSleeping(t: Task): boolean;
  /** private-hash references ctx holds */
  refsHeld(ctx: LockOwner): number;
  /** t's user code holds, is acquiring or is releasing the robust mutex at addr */
  robustClaimed(t: Task, addr: number): boolean;
  /** the tag and owner of the user word at addr; null when unmapped */
  wordTag(as: AddressSpace, addr: number): { tag: WordTag; owner: number } | null;
}

/** The observation sites (Observe; `obj` is a private hash, an mm, a per-CPU counter, or for ROBUST_PENDING the user address). */
export const OBS = {
  /** futex_ref_get after READ_ONCE(fph->state); obj = the private hash */
  REF_GET: 1,
  /** futex_ref_put after READ_ONCE(fph->state); obj = the private hash */
  REF_PUT: 2,
  /** a read-modify-write of mm->futex.phash.atomic by get/put (FR_ATOMIC); obj = the mm */
  REF_ATOMIC: 3,
  /** a this_cpu_inc / __this_cpu_add store on a per-CPU counter; obj = the PercpuU32 */
  PERCPU_RMW: 4,
  /** futex_hash_allocate with mm->futex.phash.lock held, before it changes anything; obj = the mm */
  HASH_ALLOC: 5,
  /** __futex_pivot_hash entry; obj = the mm */
  PIVOT: 6,
  /** dup_mm copying the parent; obj = the parent mm */
  DUP_MM: 7,
  /** futex_hash_free from __mmput; obj = the mm */
  MM_FREE: 8,
  /** exit_robust_list about to handle list_op_pending; ctx = the dying task, obj = the futex word address */
  ROBUST_PENDING: 9,
  /** (executor) an interrupt of user mode is delivered to ctx */
  IRQ: 10,
  /** (executor) every event has run and the kernel drained: the state before teardown */
  QUIESCENT: 11,
  /** (executor) an event is about to run; obj = its index in the event table */
  EVENT: 13,
  /** (scheduler) an RCU callback or a work item runs; obj = its frames (["rcu_do_batch", label]) */
  DEFERRED: 15,
} as const;

export interface Hooks extends ShadowView {
  // -- the heap (KASAN, kmemleak) --
  /** `obj` was just allocated by ctx */
  alloc(obj: KObj, ctx: LockOwner): void;
  /** ctx is about to free `obj` (kvfree; or kvfree_rcu, whose memory goes after a grace period) */
  free(obj: KObj, ctx: LockOwner): void;
  /** ctx touches `obj` (`what`: the access, as the kernel source spells it) */
  access(obj: KObj, what: string, ctx: LockOwner): void;
  /** ctx reads `size` bytes at byte `offset` of `obj` (an index computed from user input: KASAN checks the bounds) */
  accessAt(obj: KObj, offset: number, size: number, what: string, ctx: LockOwner): void;

  // -- private-hash references (the refcount sanitizer) --
  /** futex_private_hash_get() succeeded for ctx */
  fphGet(ctx: LockOwner): void;
  /** futex_private_hash_put() by ctx */
  fphPut(ctx: LockOwner): void;
  /** t is returning to user space from a syscall */
  userReturn(t: Task): void;
  /** a private-hash reference `from` took is now `to`'s to drop (q->drop_fph) */
  fphTransfer(from: LockOwner, to: LockOwner): void;
  /** mm->futex.phash.atomic was just updated by `op` */
  refAtomic(mm: Mm, op: string, ctx: LockOwner): void;

  // -- futex waiters (the lost-waiter sanitizer) --
  /** t goes to sleep in futex_wait on q (futex_waitv: on every q of its vector) */
  sleep(t: Task, q: FutexQ, ...more: FutexQ[]): void;
  /** t is running again after that sleep */
  woken(t: Task): void;

  // -- robust futexes (the robust-list sanitizer) --
  /** user space of t acts on its robust mutex at `lock` (glibc's protocol, robust_user.ts) */
  robustUser(t: Task, op: RobustUserOp, lock: number): void;
  /** glibc's ENQUEUE_MUTEX is about to link `node` at the front of t's list at `head` */
  robustListAdd(t: Task, as: AddressSpace, head: number, node: number): void;
  /** exit_robust_list read a pointer at `addr` in `role`: does it come from t's own list? */
  robustTrusted(as: AddressSpace, addr: number, tid: number, role: "head" | "node"): boolean;
  /** exit_robust_list moved past its `entries`-th entry (at most `limit`) */
  robustWalk(t: Task, entries: number, limit: number): void;
  /** handle_futex_death is about to store OWNER_DIED at uaddr */
  robustDeathWrite(t: Task, uaddr: number, trusted: boolean, pendingOp: boolean): void;
  /** handle_futex_death decides whether t's pending op on a (non-PI) word it does not own gets a wake */
  robustPendingOp(t: Task, uaddr: number): void;
  /** mmap/munmap replaced `region` of mm */
  remap(mm: Mm, region: number): void;
  /** user space's robust mutex code wrote robust-list metadata or a lock word (`tag`, `owner`) at addr */
  userRobustWrite(as: AddressSpace, addr: number, tag: WordTag, owner: number): void;
  /** a plain user store (the `store` event; also what the kernel stores for user space outside the robust code: clear_child_tid, parent_tid) of `value` at addr */
  userStore(as: AddressSpace, addr: number, value: number): void;
  /** the kernel stored into a robust futex word (OWNER_DIED, a robust unlock): no TID owns it now */
  kernelRobustWrite(as: AddressSpace, addr: number): void;
  /** dup_mmap copied `from` into `to` (anonymous pages copied, file pages shared) */
  mmapCopied(from: AddressSpace, to: AddressSpace): void;

  // -- atomic context (the sleeping-in-atomic check) --
  /** might_sleep(): ctx is about to call `fn`, which may sleep */
  mightSleep(ctx: LockOwner, fn: string): void;
  /** lockdep's lock_release(): ctx releases `lock`, which it holds or (a bug) does not */
  lockRelease(ctx: LockOwner, lock: string, held: boolean): void;
  // -- PI futexes (the PI sanitizer) --
  /** the kernel stored `value` into a PI futex word through `key` (lock, unlock, owner fixup) */
  piWordWrite(as: AddressSpace, addr: number, value: number, key: FutexKey): void;
  /** put_pi_state() dropped a reference of `ps` (its refcount is already decremented) */
  piStatePut(ps: FutexPiState, ctx: LockOwner): void;
  /** the bucket lock is dropped with the PI futex word at uaddr and `ps` settled by ctx */
  piSettled(ps: FutexPiState, as: AddressSpace, uaddr: number, ctx: LockOwner): void;
  /** the rt_mutex of `ps` gained or lost a waiter (lock, requeue) */
  piWaiters(ps: FutexPiState, ctx: LockOwner): void;

  // -- the run's phases (told by the executor) --
  /** every event has run and the kernel drained (end-of-run checks of a live system) */
  quiescent(): void;
  /** teardown killed every group and drained; `blockedIn` says where a task still waits */
  tornDown(k: Kernel, blockedIn: (t: Task) => string | null): void;

  // -- the fuzzer --
  readonly observe?: Observe;
}

/**
 * The robust mutex protocol steps user space takes: `init` a fresh list; `acquiring` (pending
 * set, cmpxchg not yet done); `acquired`; `releasing` (unlock started); `released`; `exec` (the
 * old program and its memory are gone).
 */
export type RobustUserOp = "init" | "acquiring" | "acquired" | "releasing" | "released" | "exec";

/** Hooks that watch nothing (a kernel built without sanitizers: unit tests of kernel pieces). */
export class NoHooks implements Hooks {
  constructor(readonly observe?: Observe) {}
  sleepers(): Iterable<FutexQ> {
    return [];
  }
  isSleeping(): boolean {
    return false;
  }
  refsHeld(): number {
    return 0;
  }
  robustClaimed(): boolean {
    return false;
  }
  wordTag(): null {
    return null;
  }
  alloc(): void {}
  free(): void {}
  access(): void {}
  accessAt(): void {}
  fphGet(): void {}
  fphPut(): void {}
  userReturn(): void {}
  fphTransfer(): void {}
  refAtomic(): void {}
  sleep(): void {}
  woken(): void {}
  robustUser(): void {}
  robustListAdd(): void {}
  robustTrusted(): boolean {
    return true;
  }
  robustWalk(): void {}
  robustDeathWrite(): void {}
  robustPendingOp(): void {}
  remap(): void {}
  userRobustWrite(): void {}
  userStore(): void {}
  kernelRobustWrite(): void {}
  mmapCopied(): void {}
  mightSleep(): void {}
  lockRelease(): void {}
  piWordWrite(): void {}
  piStatePut(): void {}
  piSettled(): void {}
  piWaiters(): void {}
  quiescent(): void {}
  tornDown(): void {}
}
