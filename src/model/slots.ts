// Reference model: the size of a process's private futex hash, as PR_FUTEX_HASH shows it.
// No buckets, no references: only the numbers GET_SLOTS and SET_SLOTS return (v7.2 rules).
//   - no private hash until the first thread is created (GET = 0);
//   - creating a thread sizes it to clamp(roundup_pow_of_two(4 * min(threads, cpus)), 16,
//     global size), where `threads` does not count the new thread; it only ever grows, and never
//     after a SET_SLOTS (custom);
//   - SET_SLOTS n: -EINVAL for 1 and for non-powers of two; 0 selects the global hash for good
//     (GET = 0, every later SET = -EBUSY, thread creation leaves it alone);
//   - growing a hash that exists is asynchronous in the kernel (the new one is installed once
//     the old one is dead), so after such a grow GET may still show the old size: `sizes` lists
//     every size GET may show.

import { EBUSY, EINVAL, ENOMEM } from "../kernel/errno.js";

export function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** Buckets of the global hash: roundup_pow_of_two(256 * CPUs). */
export const globalHashSize = (cpus: number): number => roundupPow2(256 * cpus);

export class Slots {
  /** null: no private hash yet; 0: the global-hash marker; else the installed size */
  cur: number | null = null;
  custom = false;
  /** sizes GET may report (more than one only while an automatic grow is pending) */
  sizes: number[] = [];

  /** futex_hash_allocate_default() on thread creation; `threads` = threads before the new one */
  onThreadCreate(threads: number, cpus: number): void {
    if (this.custom) return;
    const buckets = Math.min(Math.max(roundupPow2(4 * Math.min(threads, cpus)), 16), globalHashSize(cpus));
    if (this.cur === null) {
      this.cur = buckets;
      this.sizes = [buckets];
      return;
    }
    // the kernel compares against the installed hash; any size not bigger changes nothing
    if (this.sizes.every((s) => s >= buckets)) return;
    if (!this.sizes.includes(buckets)) this.sizes = [...this.sizes, buckets].sort((a, b) => a - b);
  }

  /** PR_FUTEX_HASH_SET_SLOTS; returns the prctl result. `blocks`: the caller waits for a pivot. */
  set(n: number, maxSlots: number): { ret: number; blocks: boolean } {
    if (n !== 0 && (n === 1 || !isPow2(n))) return { ret: EINVAL, blocks: false };
    if (this.cur === 0) return { ret: EBUSY, blocks: false };
    if (n > maxSlots) return { ret: ENOMEM, blocks: false };
    const blocks = this.cur !== null;
    this.cur = n;
    this.custom = true;
    this.sizes = [n];
    return { ret: 0, blocks };
  }

  /** PR_FUTEX_HASH_GET_SLOTS: the possible results (first = the one before any pending grow) */
  get(): number[] {
    if (this.cur === null || this.cur === 0) return [0];
    return this.sizes;
  }
}
