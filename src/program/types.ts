// The program model: what a futex-fuzz program is, independent of its text or byte form.

/** A user address: byte offset `off` inside the one-page region `m<region>`. */
export interface Addr {
  region: number;
  off: number;
}

/** A u32 user value; with `tid` set it is that task's TID OR-ed with `bits`. */
export interface Value {
  tid?: number;
  bits: number;
}

/** What an `mmap` maps: an anonymous page, or page 0 of file `f<file>`. */
export type Mapping = { anon: true } | { anon: false; file: number };

export type { Arg, Event, EventOf, EventName, SyscallName, ControlName, ArgsOf } from "./events.js";
import type { Event } from "./events.js";

export interface Program {
  cpus: number;
  /** NUMA nodes (`config nodes=N`, 1..4); absent = 1 */
  nodes?: number;
  events: Event[];
}

export const FUTEX_WAITERS = 0x80000000;
export const FUTEX_OWNER_DIED = 0x40000000;
export const FUTEX_TID_MASK = 0x3fffffff;
export const PAGE_SIZE = 4096;
