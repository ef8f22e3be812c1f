// kernel/futex/futex.h and core.c, the futex2 side of a key: the FLAGS_* a futex2 flags word
// turns into (futex2_to_flags, futex_flags_valid, futex_size), and get_futex_key()'s FUTEX2_NUMA
// part: the node word at uaddr + size, FUTEX_NO_NODE (-1) resolved to the current CPU's node and
// written back, node numbers checked against node_possible_map. A key with a node bypasses the
// private hash and lives in that node's global table (hb.ts GlobalHash, private.ts __futex_hash).
import type { Kernel } from "../kernel.js";
import { inFrame, type LockOwner } from "../sched.js";
import type { Task } from "../task.js";
import { EFAULT, EINVAL } from "../errno.js";
import { get_futex_key } from "./core.js";
import { MAX_NUMNODES, type FutexKey } from "./hb.js";

// include/uapi/linux/futex.h
export const FUTEX2_SIZE_U8 = 0x00;
export const FUTEX2_SIZE_U16 = 0x01;
export const FUTEX2_SIZE_U32 = 0x02;
export const FUTEX2_SIZE_U64 = 0x03;
export const FUTEX2_NUMA = 0x04;
export const FUTEX2_PRIVATE = 128;
/** FUTEX2_VALID_MASK: the size, NUMA and PRIVATE bits (FUTEX2_MPOL is not modelled) */
export const FUTEX2_VALID_MASK = 0x03 | FUTEX2_NUMA | FUTEX2_PRIVATE;
/** FUTEX_NO_NODE, as the u32 the node word holds */
export const FUTEX_NO_NODE = 0xffffffff;
export const FUTEX_WAITV_MAX = 128;

// kernel/futex/futex.h FLAGS_*
export const FLAGS_SIZE_32 = 0x02;
export const FLAGS_SIZE_MASK = 0x03;
export const FLAGS_SHARED = 0x10;
export const FLAGS_NUMA = 0x80;
export const FLAGS_STRICT = 0x100;

/** The futex2 flags word of an event's size/private/numa arguments. */
export function futex2Flags(size: "u32" | "u8" | "u16" | "u64", priv: boolean, numa: boolean): number {
  const sz = { u8: FUTEX2_SIZE_U8, u16: FUTEX2_SIZE_U16, u32: FUTEX2_SIZE_U32, u64: FUTEX2_SIZE_U64 }[size];
  return sz | (priv ? FUTEX2_PRIVATE : 0) | (numa ? FUTEX2_NUMA : 0);
}

/** futex2_to_flags() */
export function futex2_to_flags(flags2: number): number {
  let flags = flags2 & FLAGS_SIZE_MASK;
  if (!(flags2 & FUTEX2_PRIVATE)) flags |= FLAGS_SHARED;
  if (flags2 & FUTEX2_NUMA) flags |= FLAGS_NUMA;
  return flags;
}

/** futex_size(): 1, 2, 4 or 8 bytes */
export function futex_size(flags: number): number {
  return 1 << (flags & FLAGS_SIZE_MASK);
}

/**
 * futex_flags_valid(): only 32-bit futexes are implemented (u8/u16/u64: false); with
 * FLAGS_NUMA the word must hold FUTEX_NO_NODE and every node id (always so for u32).
 */
export function futex_flags_valid(flags: number): boolean {
  return (flags & FLAGS_SIZE_MASK) === FLAGS_SIZE_32;
}

/** numa_node_id(): the node of the task's CPU (CPU c is on node c mod nodes). */
export function numa_node_id(k: Kernel, t: Task): number {
  return t.cpu % k.global.nodes;
}

/** node_possible(node): test_bit(node, node_possible_map.bits), one unsigned long read (KASAN checks it). */
export function node_possible(k: Kernel, ctx: LockOwner, node: number): boolean {
  k.hooks.accessAt(k.global.node_possible_map, Math.floor(node / 64) * 8, 8, "test_bit(node, node_possible_map.bits)", ctx);
  return node >= 0 && node < k.global.nodes;
}

/** The futexNodeInvalid seam: get_futex_key's check of a user-supplied node (`node`: the word as an int). */
export type FutexNodeInvalid = (k: Kernel, ctx: LockOwner, node: number) => boolean;

/**
 * get_futex_key()'s node check [v7.2, 8337204c5889]: anything but FUTEX_NO_NODE must be below
 * MAX_NUMNODES as an unsigned number, and possible.
 */
export function futex_node_invalid(k: Kernel, ctx: LockOwner, node: number): boolean {
  return node !== -1 && (node >>> 0 >= MAX_NUMNODES || !node_possible(k, ctx, node));
}

/**
 * The check of cec199c5e39b "futex: Implement FUTEX2_NUMA", before 8337204c5889 "futex: Handle
 * invalid node numbers supplied by user": `node >= MAX_NUMNODES` compares the int, so a negative
 * node other than FUTEX_NO_NODE reaches node_possible(), which reads before node_possible_map
 * (syzbot 9afaf6749e3a7aa1bdf3).
 */
export function futex_node_invalid_pre_8337204c5889(k: Kernel, ctx: LockOwner, node: number): boolean {
  return node !== -1 && (node >= MAX_NUMNODES || !node_possible(k, ctx, node));
}

/**
 * get_futex_key(uaddr, flags) with FLAGS_*: natural alignment for the size (twice the size with
 * FLAGS_NUMA, whose node word follows the futex word), the node word read, checked, resolved
 * and written back, then the key as for sys_futex. -EINVAL, -EFAULT.
 */
export function get_futex_key_flags(k: Kernel, t: Task, uaddr: number, flags: number): FutexKey | number {
  return inFrame(t, "get_futex_key", () => futex_key_of(k, t, uaddr, flags));
}

function futex_key_of(k: Kernel, t: Task, uaddr: number, flags: number): FutexKey | number {
  let size = futex_size(flags);
  if (flags & FLAGS_NUMA) size *= 2;
  if (uaddr % size !== 0) return EINVAL;
  const as = t.mm?.as;
  if (!as) return EFAULT;
  let node: number | undefined;
  if (flags & FLAGS_NUMA) {
    const naddr = uaddr + size / 2;
    const word = as.read(naddr);
    if (word === null) return EFAULT;
    if (k.seams.futexNodeInvalid(k, t, word | 0)) return EINVAL;
    node = word === FUTEX_NO_NODE ? numa_node_id(k, t) : word;
    if (word === FUTEX_NO_NODE) {
      // futex_put_value(node, naddr)
      if (!as.write(naddr, node)) return EFAULT;
      k.hooks.userStore(as, naddr, node);
    }
  }
  const key = get_futex_key(t, uaddr, !!(flags & FLAGS_SHARED));
  if (typeof key === "number" || node === undefined) return key;
  return { ...key, node };
}
