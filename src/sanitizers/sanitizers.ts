// The sanitizers of one run, as the kernel's Hooks: KASAN and kmemleak (kasan.ts), the private
// hash refcount (refcount.ts), lost waiters (waiters.ts), the robust list (robust.ts), sleeping in
// atomic context (atomic_sleep.ts), PI state and rt_mutex waiters (pi.ts), lost waiters of the
// robust mutex protocol (robust_waiters.ts). Each owns its shadow
// state. The executor builds one per run and asks for the end-of-run checks.
import type { KObj } from "../kernel/alloc.js";
import { WordTag, type Hooks, type Observe, type RobustUserOp } from "../kernel/hooks.js";
import type { Kernel } from "../kernel/kernel.js";
import type { AddressSpace } from "../kernel/memory.js";
import type { Mm } from "../kernel/mm.js";
import type { LockOwner } from "../kernel/sched.js";
import type { Task } from "../kernel/task.js";
import type { FutexKey, FutexQ } from "../kernel/futex/hb.js";
import { FUTEX_TID_MASK } from "../program/types.js";
import { AtomicSleepCheck } from "./atomic_sleep.js";
import { Kasan, callers, describeObj } from "./kasan.js";
import { RefcountShadow } from "./refcount.js";
import { RobustShadow, robust_meta_trusted } from "./robust.js";
import { Sleepers } from "./waiters.js";
import { WordTags } from "./wordtags.js";
import { PiShadow } from "./pi.js";
import { RobustWaiters } from "./robust_waiters.js";
import type { FutexPiState } from "../kernel/futex/pi_state.js";

export class Sanitizers implements Hooks {
  private readonly kasan: Kasan;
  private readonly refs: RefcountShadow;
  private readonly sleeping: Sleepers;
  private readonly robust: RobustShadow;
  private readonly tags = new WordTags();
  private readonly atomicSleep: AtomicSleepCheck;
  private readonly pi: PiShadow;
  private readonly robustWaiters: RobustWaiters;

  constructor(
    k: Kernel,
    /** the fuzzer's state observer, when the run has one */
    readonly observe?: Observe,
  ) {
    this.kasan = new Kasan(k);
    this.refs = new RefcountShadow(k);
    this.sleeping = new Sleepers(k);
    this.robust = new RobustShadow(k, this.tags);
    this.atomicSleep = new AtomicSleepCheck(k);
    this.pi = new PiShadow(k);
    this.robustWaiters = new RobustWaiters(k);
  }

  alloc(obj: KObj, ctx: LockOwner): void {
    this.kasan.alloc(obj, ctx);
  }
  free(obj: KObj, ctx: LockOwner): void {
    this.kasan.free(obj, ctx);
  }
  access(obj: KObj, what: string, ctx: LockOwner): void {
    if (obj.state === "freed") this.kasan.access(obj, what, ctx);
  }
  accessAt(obj: KObj, offset: number, size: number, what: string, ctx: LockOwner): void {
    this.kasan.accessAt(obj, offset, size, what, ctx);
  }
  fphGet(ctx: LockOwner): void {
    this.refs.get(ctx);
  }
  fphPut(ctx: LockOwner): void {
    this.refs.put(ctx);
  }
  fphTransfer(from: LockOwner, to: LockOwner): void {
    this.refs.transfer(from, to);
  }
  userReturn(t: Task): void {
    this.refs.userReturn(t);
  }
  refAtomic(mm: Mm, op: string, ctx: LockOwner): void {
    this.refs.atomic(mm, op, ctx);
  }
  sleep(t: Task, q: FutexQ, ...more: FutexQ[]): void {
    const qs = [q, ...more];
    this.sleeping.sleep(t, qs);
    this.robustWaiters.sleep(t, qs);
  }
  woken(t: Task): void {
    this.robustWaiters.resumed(t, this.sleeping.queuesOf(t) ?? []);
    this.sleeping.woken(t);
  }
  robustUser(t: Task, op: RobustUserOp, lock: number): void {
    this.robust.user(t, op, lock);
    if (op === "acquired") this.robustWaiters.acquired(t, lock);
  }
  robustListAdd(t: Task, as: AddressSpace, head: number, node: number): void {
    this.robust.listAdd(t, as, head, node);
  }
  robustTrusted(as: AddressSpace, addr: number, tid: number, role: "head" | "node"): boolean {
    return robust_meta_trusted(this.tags, as, addr, tid, role);
  }
  robustWalk(t: Task, entries: number, limit: number): void {
    this.robust.walk(t, entries, limit);
  }
  robustDeathWrite(t: Task, uaddr: number, trusted: boolean, pendingOp: boolean): void {
    this.robust.deathWrite(t, uaddr, trusted, pendingOp);
  }
  robustPendingOp(t: Task, uaddr: number): void {
    this.robustWaiters.pendingOp(t, uaddr);
  }
  remap(mm: Mm, region: number): void {
    this.robust.remap(mm, region);
  }
  userRobustWrite(as: AddressSpace, addr: number, tag: WordTag, owner: number): void {
    this.tags.set(as, addr, tag, owner);
    this.pi.userWrite(as, addr);
    // the robust code writing list metadata over a mutex word (a head or node placed on it) is
    // the program's misuse of that word, as a plain store is
    if (tag === WordTag.RobustMutex) this.robustWaiters.wrote(as, addr);
    else this.robustWaiters.outside(as, addr);
  }
  userStore(as: AddressSpace, addr: number, value: number): void {
    this.tags.userStore(as, addr, value);
    this.pi.userWrite(as, addr);
    this.robustWaiters.outside(as, addr);
  }
  piWordWrite(as: AddressSpace, addr: number, value: number, key: FutexKey): void {
    this.pi.kernelWrite(as, addr, value, key);
    this.robustWaiters.outside(as, addr);
    // a PI lock word is a mutex word owned by the TID in it (glibc's PI robust mutexes)
    this.tags.set(as, addr, WordTag.RobustMutex, value & FUTEX_TID_MASK);
  }
  piStatePut(ps: FutexPiState, ctx: LockOwner): void {
    this.pi.put(ps, ctx);
  }
  piSettled(ps: FutexPiState, as: AddressSpace, uaddr: number, ctx: LockOwner): void {
    this.pi.settled(ps, as, uaddr, ctx);
  }
  piWaiters(ps: FutexPiState, ctx: LockOwner): void {
    this.pi.waiters(ps, ctx);
  }
  kernelRobustWrite(as: AddressSpace, addr: number): void {
    this.tags.kernelWrite(as, addr);
    this.robustWaiters.wrote(as, addr);
  }
  mmapCopied(from: AddressSpace, to: AddressSpace): void {
    this.tags.copied(from, to);
  }

  mightSleep(ctx: LockOwner, fn: string): void {
    this.atomicSleep.mightSleep(ctx, fn);
  }
  lockRelease(ctx: LockOwner, lock: string, held: boolean): void {
    this.atomicSleep.lockRelease(ctx, lock, held);
  }

  sleepers(): Iterable<FutexQ> {
    return this.sleeping.queues();
  }
  isSleeping(t: Task): boolean {
    return this.sleeping.has(t);
  }
  refsHeld(ctx: LockOwner): number {
    return this.refs.held(ctx);
  }
  robustClaimed(t: Task, addr: number): boolean {
    return this.robust.isLive(t, addr);
  }
  wordTag(as: AddressSpace, addr: number): { tag: WordTag; owner: number } | null {
    return this.tags.tagOf(as, addr);
  }

  quiescent(): void {
    this.sleeping.atQuiescence();
    this.robustWaiters.atQuiescence((t) => this.sleeping.queuesOf(t));
  }

  /** A task that has not exited is hung; a heap object still live leaked. */
  tornDown(k: Kernel, blockedIn: (t: Task) => string | null): void {
    for (const t of k.taskList) {
      if (t.state === "exited") continue;
      const where = blockedIn(t) ?? "the kernel";
      k.report("hung-task", `INFO: task ${t.name} blocked for more than 120 seconds in ${where}`, { id: t.id, frames: [...t.frames], preemptCount: 0 });
    }
    const leak = this.kasan.leaks();
    if (leak) {
      const at = leak.stack.length ? leak.stack[leak.stack.length - 1]! : "unknown";
      k.report(
        "leak",
        `memory leak in ${at}`,
        { id: -1, frames: [...leak.stack], preemptCount: 0 },
        `unreferenced object ${describeObj(leak.first)} allocated at event ${leak.event} by: ${callers(leak.stack)}` +
          (leak.more ? `\n(${leak.more} more unreferenced objects)` : ""),
      );
    }
  }
}
