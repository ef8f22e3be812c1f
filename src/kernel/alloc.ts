// The simulated allocator: kvzalloc / kvfree / kvfree_rcu / alloc_percpu. It knows which objects
// are live, as slab does; what KASAN and kmemleak make of that (stacks, reports, leaks) is theirs
// (src/sanitizers/kasan.ts), told through the kernel's hooks.
import type { Hooks } from "./hooks.js";
import { in_interrupt, might_sleep, type LockOwner, type SleepCheck } from "./sched.js";

export type ObjState = "live" | "rcu-pending" | "freed";

/** Header of every simulated heap object. Kernel structures extend it. */
export class KObj {
  /** allocation number (0: never allocated) */
  hid = 0;
  state: ObjState = "live";
  constructor(
    /** the C type, e.g. `struct futex_private_hash` */
    readonly type: string,
    /** bytes, for the report */
    readonly size: number,
    /** allocated with alloc_percpu */
    readonly percpu = false,
  ) {}
}

export class Heap {
  private next = 1;
  /** fault injection: fail the nth allocation from now (0 = off) */
  failNth = 0;

  constructor(readonly hooks: Hooks) {}

  /** Returns null when fault injection says this allocation fails (-ENOMEM paths). */
  alloc<T extends KObj>(obj: T, ctx: LockOwner): T | null {
    // every allocation here is GFP_KERNEL (kvzalloc, alloc_percpu, allocate_mm): might_alloc()
    might_sleep(this, ctx, "might_alloc");
    if (this.failNth > 0 && --this.failNth === 0) return null;
    obj.hid = this.next++;
    this.hooks.alloc(obj, ctx);
    return obj;
  }

  /** An object that is not slab memory but whose lifetime KASAN tracks (a stack frame): never fails. */
  track<T extends KObj>(obj: T, ctx: LockOwner): T {
    obj.hid = this.next++;
    this.hooks.alloc(obj, ctx);
    return obj;
  }

  free(obj: KObj, ctx: LockOwner): void {
    this.hooks.free(obj, ctx);
    obj.state = "freed";
  }

  /** kvfree_rcu: the object stays readable until a grace period passes; then `rcuFreeDone`. */
  freeRcu(obj: KObj, ctx: LockOwner): void {
    this.hooks.free(obj, ctx);
    obj.state = "rcu-pending";
  }

  /** Completes a kvfree_rcu after its grace period. */
  rcuFreeDone(obj: KObj): void {
    obj.state = "freed";
  }
}

/** What kvfree / kvfree_rcu need from the machine (the Kernel satisfies it). */
export interface FreeContext extends SleepCheck {
  readonly heap: Heap;
  readonly rcu: { call(label: string, fn: () => void): void };
}

/** PAGE_SIZE: kvmalloc() falls back to vmalloc above it (modelled as: always does) */
export const PAGE_SIZE = 4096;

/** is_vmalloc_addr(): a kvmalloc'ed object larger than a page came from vmalloc */
export function is_vmalloc_addr(obj: KObj): boolean {
  return !obj.percpu && obj.size > PAGE_SIZE;
}

/**
 * kvfree(): immediate free; NULL is a no-op. A vmalloc'ed object goes through vfree(), which
 * may sleep outside interrupts (in a softirq it defers the work: vfree_atomic, no sleep).
 */
export function kvfree(k: FreeContext, ctx: LockOwner, obj: KObj | null): void {
  if (!obj) return;
  if (is_vmalloc_addr(obj) && !in_interrupt(ctx)) might_sleep(k, ctx, "vfree");
  k.heap.free(obj, ctx);
}

/** kvfree_rcu(): free after a grace period; the object stays readable by RCU readers until then. */
export function kvfree_rcu(k: FreeContext, ctx: LockOwner, obj: KObj | null): void {
  if (!obj) return;
  k.heap.freeRcu(obj, ctx);
  k.rcu.call("kvfree_rcu", () => k.heap.rcuFreeDone(obj));
}
