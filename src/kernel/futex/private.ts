// kernel/futex/core.c, CONFIG_FUTEX_PRIVATE_HASH: the per-mm futex state.
// Spine version: the fields exist, no private hash is ever allocated (every key uses the global
// hash). The private hash, futex-ref and resize replace this file's bodies.
import type { Kernel } from "../kernel.js";
import type { Mm } from "../mm.js";
import type { LockOwner } from "../sched.js";

/** mm->futex.* */
export class MmFutex {
  /** dup_mm's memcpy of the parent's fields */
  memcpy(): MmFutex {
    return new MmFutex();
  }
}

/** futex_mm_init(): called from mm_init for every new mm. Returns false on allocation failure. */
export function futex_mm_init(_k: Kernel, _ctx: LockOwner, mm: Mm): boolean {
  mm.futex = new MmFutex();
  return true;
}

/** futex_hash_free(): called from __mmput. */
export function futex_hash_free(_k: Kernel, _ctx: LockOwner, _mm: Mm): void {}

/** futex_hash_allocate_default(): on thread creation. Spine: no private hash, returns 0. */
// eslint-disable-next-line require-yield
export function* futex_hash_allocate_default(_k: Kernel, _t: import("../task.js").Task): import("../sched.js").KGen<number> {
  return 0;
}
