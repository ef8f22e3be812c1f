// Abstract kernel state as fuzzer feedback (DESIGN §6). Edge coverage says which code ran; it
// cannot tell a futex_wait that ran while the hash was FR_ATOMIC with a replacement pending from
// one that ran on a quiet hash, nor a fork with a resize in flight from a plain fork. Those
// states are the stepping stones to the resize / fork / exit races, so each run reports the
// abstract states it reached as extra libFuzzer features.
//
// How: the run installs a Kernel observer (KernelOptions.observer, one optional callback); at a
// handful of kernel sites (OBS in src/kernel/hooks.ts) and at quiescence it turns the state it
// is told about into a 12-bit abstract state and records the feature (site, state) in a per-run
// set. After the run, each feature of the set goes to libFuzzer through jazzer.js's tracer:
// `tracePcIndir(id, state)` is `__sanitizer_cov_trace_pc_indir_with_pc(id, state)`, which sets
// bit ((id & 0xfff) | (state & 0xfff) << 12) % 65371 of libFuzzer's value-profile map, a feature
// counted only under -use_value_profile=1 (src/fuzzing/jazzer.ts passes it). A feature f < 65371
// is sent as (f & 0xfff, f >>> 12) so it lands on bit f exactly: ours never collide with each
// other. (jazzer.js 4.0.0's exploreState() returns early unless the state is a string.)
//
// FUTEX_FUZZ_FEEDBACK=edges turns all of this off (plain edge + value-profile coverage);
// `state` (the default) turns it on. Outside jazzer (vitest, bench) there is no tracer and the
// features are only counted.
import type { Kernel } from "../kernel/kernel.js";
import { OBS, type Observe } from "../kernel/hooks.js";
import { atomicBiased } from "../sanitizers/refcount.js";
import type { Mm } from "../kernel/mm.js";
import type { FutexPrivateHash } from "../kernel/futex/private.js";
import type { LockOwner } from "../kernel/sched.js";
import { Task } from "../kernel/task.js";
import { unlock_cs_within } from "../kernel/vdso.js";
import { HEAD_LIST_OP_PENDING } from "../kernel/futex/robust.js";
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS } from "../program/types.js";

export type FeedbackMode = "edges" | "state";

/** FUTEX_FUZZ_FEEDBACK: `state` (default) or `edges`. */
export function feedbackMode(env: string | undefined = process.env.FUTEX_FUZZ_FEEDBACK): FeedbackMode {
  const v = (env ?? "").trim() || "state";
  if (v !== "edges" && v !== "state") throw new Error(`FUTEX_FUZZ_FEEDBACK must be 'edges' or 'state', not '${v}'`);
  return v;
}

/** Feature sites (0..14, all below the value-profile prime): the OBS sites plus the ones below; a feature is site << 12 | state. */
export const SITE = {
  ...OBS,
  /** the set of OBS sites this run reached, as a bitmask (the run's "transitions seen") */
  SUMMARY: 0,
  /** at quiescence: what the tasks are doing */
  TASKS: 12,
  /** (at OBS.EVENT) a task parked at preemption point L while the state of what it holds is S */
  PARKED_STATE: 14,
  /**
   * OBS.DEFERRED's features. Not its own id 15: 15 << 12 | 0xfff crosses VALUE_PROFILE_PRIME,
   * so most of its states would wrap onto site 0. OBS.PERCPU_RMW is observed but carries no
   * state (no feature), so site 4 is free.
   */
  DEFERRED: 4,
} as const;

export const STATE_BITS = 12;
const STATE_MASK = (1 << STATE_BITS) - 1;
/** libFuzzer's value-profile map is indexed modulo this prime (kMapPrimeMod) */
export const VALUE_PROFILE_PRIME = 65371;

export type PcIndir = (id: number, state: number) => void;

/** jazzer.js's tracer (globalThis.Fuzzer, registered before the target module loads), if any. */
export function jazzerPcIndir(): PcIndir | null {
  const g = globalThis as { Fuzzer?: { tracer?: { tracePcIndir?: PcIndir } } };
  const fn = g.Fuzzer?.tracer?.tracePcIndir;
  return typeof fn === "function" ? fn : null;
}

/** Send one feature f (0 <= f < 65536) so it sets value-profile bit f (mod 65371). */
export function sendFeature(pcIndir: PcIndir, f: number): void {
  pcIndir(f & 0xfff, f >>> 12);
}

// ---- abstract states --------------------------------------------------------------------------

/**
 * 8 bits of an mm's futex state: hash kind (none / global 0-slot / automatic / custom), the
 * current hash is FR_ATOMIC, a replacement is pending (hash_new), the futex-ref RCU callback is
 * queued (a switch in flight), the atomic is LONG_MAX-biased, the hash is dead (FR_ATOMIC with a
 * zero unbiased count), the per-CPU counter exists.
 */
export function mmBits(mm: Mm): number {
  const f = mm.futex;
  const h = f.hash;
  let s = h === null ? 0 : h.hash_mask === 0 ? 1 : h.custom ? 3 : 2;
  if (h !== null && h.frState !== 0) {
    s |= 4;
    if (f.atomic === 0n) s |= 64;
  }
  if (f.hash_new !== null) s |= 8;
  if (f.rcuQueued) s |= 16;
  if (atomicBiased(f.atomic)) s |= 32;
  if (f.ref !== null) s |= 128;
  return s;
}

/** another mm points at this mm's hash, pending hash or per-CPU counter (what fork must not copy) */
function sharesFutexState(k: Kernel, mm: Mm): boolean {
  const f = mm.futex;
  for (const o of k.mms) {
    if (o === mm || o.state === "freed") continue;
    const g = o.futex;
    if ((f.hash !== null && (g.hash === f.hash || g.hash_new === f.hash)) || (f.hash_new !== null && (g.hash === f.hash_new || g.hash_new === f.hash_new)) || (f.ref !== null && g.ref === f.ref))
      return true;
  }
  return false;
}

function liveMms(k: Kernel): number {
  let n = 0;
  for (const m of k.mms) if (m.state !== "freed") n++;
  return n;
}

function anySleeper(k: Kernel): boolean {
  for (const _ of k.hooks.sleepers()) return true;
  return false;
}

/** some sleeping futex waiter is queued on a bucket of `fph` */
function waitersOn(k: Kernel, fph: FutexPrivateHash | null): boolean {
  if (fph === null) return false;
  for (const q of k.hooks.sleepers()) if (q.lock_ptr !== null && q.lock_ptr.owner === fph) return true;
  return false;
}

function listOpPending(t: Task): number {
  if (!t.robust || !t.mm) return 0;
  return t.mm.as.readUnaligned((t.robust.head + HEAD_LIST_OP_PENDING) >>> 0) ?? 0;
}

const RUSER_OP = { lock: 1, unlock: 2, pending: 3 } as const;

/** interrupted user mode: which robust operation, how far, inside the vDSO critical section, ZF, pop */
function irqBits(t: Task): number {
  const op = t.ruser;
  let s = op ? RUSER_OP[op.op] | (Math.min(op.done, 7) << 2) : 0;
  if (t.mm && unlock_cs_within(t.mm, t.regs.ip)) s |= 32;
  if (t.regs.zf) s |= 64;
  if (t.regs.dx !== 0) s |= 128;
  if (listOpPending(t) !== 0) s |= 256;
  if (op?.inKernel) s |= 512;
  if (t.group.tasks.size > 1) s |= 1024;
  return s;
}

/**
 * the word exit_robust_list is about to handle as list_op_pending: mapped, whose TID, file data,
 * its tag, and whether the task's user code still claims it (holds, acquires or releases it):
 * the same shadow the robust sanitizer reads, so "handled a word user space had let go of" is a
 * state of its own long before it meets a word that holds the dying TID
 */
function robustPendingBits(k: Kernel, t: Task, uaddr: number): number {
  const as = t.mm?.as;
  const l = as?.lookup(uaddr);
  if (!as || !l) return 0;
  const w = l.map.page.word(l.index);
  let s = 1; // mapped
  if ((w & FUTEX_TID_MASK) === t.tid) s |= 2;
  else if ((w & FUTEX_TID_MASK) === 0) s |= 4;
  if (w & FUTEX_WAITERS) s |= 8;
  if (w & FUTEX_OWNER_DIED) s |= 16;
  if (l.map.file !== null) s |= 32;
  const tag = k.hooks.wordTag(as, uaddr)!;
  s |= (tag.tag & 7) << 6;
  if (tag.owner === t.tid) s |= 512;
  if (k.hooks.robustClaimed(t, uaddr)) s |= 1024;
  return s;
}

function taskBits(k: Kernel): number {
  let s = 0;
  const groups = new Set<unknown>();
  for (const t of k.tasks.values()) {
    groups.add(t.group);
    if (t.state === "user") s |= 1;
    else if (t.state === "exited") s |= 2;
    else if (k.hooks.isSleeping(t)) s |= 4;
    else if (t.wait !== null && !t.wait.ready()) s |= 8;
    else s |= 16;
    if (t.state !== "exited") {
      if (t.robust) s |= 32;
      if (listOpPending(t) !== 0) s |= 64;
      if (t.ruser) s |= 128;
      if (t.group.killed) s |= 256;
    }
  }
  if (groups.size > 1) s |= 512;
  if (k.tasks.size > 2) s |= 1024;
  if (k.rcu.pending || k.work.length) s |= 2048;
  return s;
}

// ---- interleaving: who is parked where while something else runs ----------------------------
//
// Edge coverage sees that a preemption point was reached, not that a task sat there while
// another task, a grace period or an RCU callback ran. The races live exactly there (a task
// parked after its final put while the hash is pivoted and freed; a robust unlock parked after
// its cmpxchg while its page is replaced), so at every event boundary and every deferred
// callback each task stopped inside the kernel contributes (its point label, what runs now), and
// at event boundaries (its point label, the state of what it holds). Labels are hashed with
// FNV-1a without their digits: a label names a bucket lock as hb@fph#2[13] or a CPU's counter
// by number, and which bucket or CPU is not a different state (it would only bloat the corpus).

const labelHashes = new Map<string, number>();

function fnv1a(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function labelHash(label: string): number {
  let h = labelHashes.get(label);
  if (h === undefined) {
    if (labelHashes.size >= 1 << 14) labelHashes.clear(); // a cache, never a leak
    labelHashes.set(label, (h = fnv1a(label.replace(/[0-9]+/g, ""))));
  }
  return h;
}

/** mix a label hash with a small number into 12 bits */
function mix12(h: number, n: number): number {
  const x = Math.imul(h ^ Math.imul(n + 1, 0x9e3779b1), 0x85ebca6b) >>> 0;
  return (x ^ (x >>> 15) ^ (x >>> 27)) & STATE_MASK;
}

/** t is stopped at a preemption point inside the kernel (not sleeping on a futex, not in user space) */
function isParked(k: Kernel, t: Task): boolean {
  return t.state === "busy" && t.at !== "" && !k.hooks.isSleeping(t);
}

/** the state of what a parked task holds: its robust operation's pending word, else its mm's futex state */
function heldBits(k: Kernel, t: Task): number {
  if (t.ruser) {
    const pending = listOpPending(t);
    return (1 << 12) | (pending === 0 ? 0 : (1 << 13) | robustPendingBits(k, t, pending));
  }
  return t.mm ? mmBits(t.mm) : 4095;
}

// ---- the per-run recorder ---------------------------------------------------------------------

/**
 * Records the features of one run at a time. `observer` is the KernelOptions.observer of a run
 * (it starts a new run); `flush` sends the run's features to libFuzzer (when under jazzer).
 */
export class StateFeedback {
  /** the features of the current run, in first-seen order */
  readonly features: number[] = [];
  private readonly seen = new Uint32Array(1 << 16);
  private gen = 0;
  private sites = 0;

  /**
   * `pcIndir`: where features go; by default jazzer.js's tracer, looked up at the first flush
   * (none outside jazzer: features are only recorded).
   */
  constructor(private pcIndir?: PcIndir | null) {}

  private hit(site: number, state: number): void {
    const f = (site << STATE_BITS) | (state & STATE_MASK);
    if (this.seen[f] !== this.gen) {
      this.seen[f] = this.gen;
      this.features.push(f);
    }
  }

  readonly observer = (k: Kernel): Observe => {
    this.gen = (this.gen + 1) >>> 0 || 1;
    this.features.length = 0;
    this.sites = 0;
    return (site: number, ctx: LockOwner | null, obj?: object | number): void => {
      if (site === OBS.PERCPU_RMW) return; // every per-CPU get/put: no state in it
      this.sites |= 1 << site;
      switch (site) {
        case OBS.REF_GET:
        case OBS.REF_PUT: {
          const fph = obj as FutexPrivateHash;
          const mm = fph.mm;
          // the state of the hash this get/put is on (a stale one may differ from the current one)
          let s = (mmBits(mm) & ~4) | (fph.frState !== 0 ? 4 : 0);
          if (fph !== mm.futex.hash) s |= 256; // a stale (replaced) hash
          if (fph === mm.futex.hash_new) s |= 512;
          if (anySleeper(k)) s |= 1024;
          if (k.hooks.refsHeld(ctx as LockOwner) > 0) s |= 2048; // nested reference
          return this.hit(site, s);
        }
        case OBS.REF_ATOMIC: {
          const mm = obj as Mm;
          const a = mm.futex.atomic;
          return this.hit(site, mmBits(mm) | (a === 0n ? 0 : a === 1n ? 256 : atomicBiased(a) ? 768 : 512));
        }
        case OBS.HASH_ALLOC:
        case OBS.PIVOT: {
          const mm = obj as Mm;
          let s = mmBits(mm);
          if (waitersOn(k, mm.futex.hash)) s |= 256;
          if (liveMms(k) > 1) s |= 512;
          if (mm.users > 2) s |= 1024;
          return this.hit(site, s);
        }
        case OBS.DUP_MM: {
          const mm = obj as Mm;
          let s = mmBits(mm);
          if (mm.users > 1) s |= 256;
          if (anySleeper(k)) s |= 512;
          if (waitersOn(k, mm.futex.hash)) s |= 1024;
          return this.hit(site, s);
        }
        case OBS.MM_FREE: {
          const mm = obj as Mm;
          let s = mmBits(mm);
          if (ctx === null || ctx.id < 0) s |= 256; // from a kworker / RCU callback
          if (sharesFutexState(k, mm)) s |= 512;
          if (mm.futex.hash !== null && mm.futex.hash.state !== "live") s |= 1024;
          return this.hit(site, s);
        }
        case OBS.ROBUST_PENDING:
          return this.hit(site, robustPendingBits(k, ctx as Task, obj as number));
        case OBS.IRQ:
          return this.hit(site, irqBits(ctx as Task));
        case OBS.EVENT:
          for (const t of k.tasks.values()) {
            if (!isParked(k, t)) continue;
            const h = labelHash(t.at);
            this.hit(SITE.EVENT, mix12(h, obj as number));
            this.hit(SITE.PARKED_STATE, mix12(h, heldBits(k, t)));
          }
          return;
        case OBS.DEFERRED: {
          // the callback or work item's own label (frames: ["rcu_do_batch" | "process_one_work", label])
          const frames = obj as string[];
          const cb = labelHash(frames[frames.length - 1]!);
          for (const t of k.tasks.values()) if (isParked(k, t)) this.hit(SITE.DEFERRED, mix12(labelHash(t.at), cb));
          return;
        }
        case OBS.QUIESCENT: {
          for (const mm of k.mms) {
            if (mm.state === "freed") continue;
            let s = mmBits(mm);
            if (mm.users > 1) s |= 256;
            if (sharesFutexState(k, mm)) s |= 512;
            if (waitersOn(k, mm.futex.hash)) s |= 1024;
            if (mm.futex.hash_new !== null && mm.futex.hash_new.hash_mask < (mm.futex.hash?.hash_mask ?? 0)) s |= 2048;
            this.hit(site, s);
          }
          return this.hit(SITE.TASKS, taskBits(k));
        }
      }
    };
  };

  /** End of a run: the summary feature, then every feature to libFuzzer. Returns how many. */
  flush(): number {
    this.hit(SITE.SUMMARY, this.sites >>> 1);
    const fs = this.features;
    const pc = this.pcIndir === undefined ? (this.pcIndir = jazzerPcIndir()) : this.pcIndir;
    if (pc) for (let i = 0; i < fs.length; i++) sendFeature(pc, fs[i]!);
    return fs.length;
  }
}

/** A recorder for the target's feedback mode: null for `edges`. */
export function stateFeedback(mode: FeedbackMode = feedbackMode(), pcIndir?: PcIndir | null): StateFeedback | null {
  return mode === "state" ? new StateFeedback(pcIndir) : null;
}
