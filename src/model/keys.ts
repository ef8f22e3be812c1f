// Reference model: futex keys. Two futex operations meet iff their keys are equal strings.
//   private op (FUTEX_*_PRIVATE)        -> (process, address)
//   shared op on an anonymous page      -> (process, address), distinct from the private key
//   shared op on a file page            -> (file, offset in the page): the same in every process
// A forked child has its own process identity, so only file pages are shared across fork.
import type { Addr } from "../program/types.js";
import { regionAddress, type Space } from "./memory.js";
import { EINVAL } from "../kernel/errno.js";

export type Key = string;

/** The key of a futex word, or -EINVAL when the address is not 4-byte aligned. */
export function futexKey(process: number, space: Space, a: Addr, shared: boolean): Key | number {
  if (a.off % 4 !== 0) return EINVAL;
  const addr = regionAddress(a.region) + a.off;
  if (!shared) return `private:p${process}@${addr.toString(16)}`;
  const page = space.regions.get(a.region)!;
  if (page.file !== null) return `file:f${page.file}+${a.off}`;
  return `anon:p${process}@${addr.toString(16)}`;
}
