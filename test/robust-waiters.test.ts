// The pending-op wake of handle_futex_death (v7.2 and its two older rules, the switches
// robust-pending-wake-uval-zero and robust-pending-wake-owner-zero), glibc's legacy robust unlock,
// and the robust-waiter sanitizer (src/sanitizers/robust_waiters.ts): it fires on a robust_lock
// waiter stranded by the kernel and stays quiet on states the program made itself.
import { describe, expect, it } from "vitest";
import { execute, type ExecOptions, type Verdict } from "../src/exec/executor.ts";
import { parse } from "../src/program/text.ts";
import {
  handle_futex_death_pending_wake,
  handle_futex_death_pending_wake_pre_90d758896787,
  handle_futex_death_pending_wake_pre_some_more,
} from "../src/kernel/futex/robust.ts";

const WAITERS = 0x80000000;
const OWNER_DIED = 0x40000000;
const TID1 = 1001;
const PRE_90D: ExecOptions = { kernel: { seams: { robustPendingWake: handle_futex_death_pending_wake_pre_90d758896787 } } };
const PRE_SOME_MORE: ExecOptions = { kernel: { seams: { robustPendingWake: handle_futex_death_pending_wake_pre_some_more } } };

function run(text: string, opts: ExecOptions = {}): Verdict {
  return execute(parse(text), opts);
}

function ret(v: Verdict, task: number, event: string): number | null | undefined {
  const r = v.syscalls.filter((s) => s.task === task && s.event === event);
  return r.length ? r[r.length - 1]!.ret : undefined;
}

/** Three processes share a robust mutex in file f0 (t0 holds it, t1 and t2 wait in that order). */
const CONTENDED = `
  config cpus=1
  t0 mmap m0 file f0
  t0 mmap m1 anon
  t0 robust_init m1+0
  t0 fork t1
  t0 fork t2
  t1 robust_init m1+0
  t2 robust_init m1+0
  t0 robust_lock m0+0
  t1 robust_lock m0+0
  t2 robust_lock m0+0
`;

describe("handle_futex_death: the pending-op wake rules", () => {
  const words = [0, WAITERS, OWNER_DIED, OWNER_DIED | WAITERS, TID1, TID1 | WAITERS];
  it("v7.2 wakes for an unowned word or one without FUTEX_WAITERS", () => {
    expect(words.map(handle_futex_death_pending_wake)).toEqual([true, true, true, true, true, false]);
  });
  it("90d758896787 .. v7.1 wakes for a TID part of 0", () => {
    expect(words.map(handle_futex_death_pending_wake_pre_some_more)).toEqual([true, true, true, true, false, false]);
  });
  it("ca16d5bee598 wakes for the word 0 only", () => {
    expect(words.map(handle_futex_death_pending_wake_pre_90d758896787)).toEqual([true, false, false, false, false, false]);
  });
});

describe("robust_unlock_legacy (glibc's unlock without FUTEX_ROBUST_UNLOCK)", () => {
  it("stores 0, wakes one waiter, which takes the lock with FUTEX_WAITERS set again for the other", () => {
    const v = run(`${CONTENDED}
      t0 robust_unlock_legacy m0+0
      t1 load m0+0
      t1 robust_unlock_legacy m0+0
      t2 load m0+0
      t2 robust_unlock_legacy m0+0
      t2 load m0+0
      t0 robust_unlock_legacy m0+0
    `);
    expect(v.findings).toEqual([]);
    const loads = v.syscalls.filter((s) => s.event === "load m0+0").map((s) => s.ret);
    expect(loads).toEqual([(TID1 | WAITERS) >>> 0, (1002 | WAITERS) >>> 0, 0]);
    expect(ret(v, 0, "robust_unlock_legacy m0+0")).toBe(1); // EPERM: not t0's any more
  });

  it("is deterministic", () => {
    const text = `${CONTENDED}
      t0 robust_unlock_legacy m0+0
      t0 robust_lock m0+0
      signal t1 kill
    `;
    expect(run(text, PRE_SOME_MORE)).toEqual(run(text, PRE_SOME_MORE));
  });
});

describe("robust-waiter sanitizer: a waiter the kernel stranded", () => {
  it("owner died, the woken waiter is killed: lost before 90d758896787, not since", () => {
    const text = `${CONTENDED}
      t0 exit
      signal t1 kill
    `;
    const bad = run(text, PRE_90D);
    expect(bad.findings.map((f) => f.kind)).toEqual(["lost-waiter"]);
    expect(bad.findings[0]!.title).toContain("t2 sleeps in robust_lock on a robust mutex nobody owns");
    expect(bad.findings[0]!.report).toContain("= 0xc0000000");
    expect(run(text, PRE_SOME_MORE).findings).toEqual([]);
    const good = run(text);
    expect(good.findings).toEqual([]);
    expect(ret(good, 2, "robust_lock m0+0")).toBe(130);
  });

  it("v7.2 unlock leaves FUTEX_WAITERS alone, the woken waiter is killed: lost before 90d758896787", () => {
    const text = `${CONTENDED}
      t0 robust_unlock m0+0
      signal t1 kill
    `;
    expect(run(text, PRE_90D).findings.map((f) => f.report)).toEqual([expect.stringContaining("= 0x80000000")]);
    expect(run(text).findings).toEqual([]);
  });

  it("legacy unlock, retaken uncontended, the woken waiter is killed: lost before 'some more', not on v7.2", () => {
    const text = `${CONTENDED}
      t0 robust_unlock_legacy m0+0
      t0 robust_lock m0+0
      signal t1 kill
    `;
    const bad = run(text, PRE_SOME_MORE);
    expect(bad.findings.map((f) => f.title)).toEqual(["lost waiter: t2 sleeps in robust_lock on a robust mutex owned without FUTEX_WAITERS"]);
    const good = run(`${text}
      t0 robust_unlock_legacy m0+0
    `);
    expect(good.findings).toEqual([]);
    expect(ret(good, 2, "robust_lock m0+0")).toBe(0);
  });

  it("the same with the unlocker killed between its exchange and FUTEX_WAKE (irq after instruction 3)", () => {
    const text = `${CONTENDED}
      t0 robust_unlock_legacy m0+0 @2
      irq t0 3 kill
    `;
    // t0's own pending op resends the wakeup it never sent (ca16d5bee598's first case)
    for (const opts of [{}, PRE_SOME_MORE, PRE_90D]) expect(run(text, opts).findings).toEqual([]);
  });
});

describe("robust-waiter sanitizer: states the program made are not the kernel's", () => {
  it("a plain store frees the word under a sleeping robust_lock waiter", () => {
    const v = run(`${CONTENDED}
      t0 store m0+0 0
    `);
    expect(v.findings).toEqual([]);
    expect(ret(v, 1, "robust_lock m0+0")).toBeNull();
  });

  it("a plain store clears FUTEX_WAITERS and the owner takes the word again through the protocol", () => {
    // found by a fixed-kernel campaign: the last write is the protocol's, the broken state the store's
    const v = run(`
      config cpus=1
      t0 mmap m0 file f0
      t0 mmap m1 anon
      t0 robust_init m1+0
      t0 fork t1
      t1 robust_init m1+0
      t0 robust_lock m0+0
      t1 robust_lock m0+0
      t0 store m0+0 0
      t0 robust_lock m0+0
      t0 load m0+0
    `);
    expect(v.findings).toEqual([]);
    expect(ret(v, 0, "load m0+0")).toBe(1000);
    expect(ret(v, 1, "robust_lock m0+0")).toBeNull();
  });

  it("a plain FUTEX_WAIT on the mutex word takes the owner-death wakeup", () => {
    const v = run(`
      config cpus=1
      t0 mmap m0 file f0
      t0 mmap m1 anon
      t0 robust_init m1+0
      t0 fork t1
      t0 fork t2
      t1 robust_init m1+0
      t0 robust_lock m0+0
      t1 robust_lock m0+0
      t2 futex_wait m0+0 tid:t0|waiters shared
      signal t1 usr1
      run t1
      t0 exit
    `);
    expect(v.findings).toEqual([]);
    expect(ret(v, 2, "futex_wait m0+0 tid:t0|waiters shared")).toBe(0);
    expect(ret(v, 1, "robust_lock m0+0")).toBeNull();
  });

  it("the mutex is remapped under the woken waiter, which takes another word (a campaign found this)", () => {
    // t0 and t1 share an mm, t2 is a forked process on the same file page. t0's unlock wakes
    // t1, then t0 maps anonymous memory over the mutex: t1 takes the new word, and t2 sleeps on
    // the file's word forever: the program moved the mutex, the kernel woke whom it had to
    const text = `
      config cpus=1
      t0 mmap m0 file f0
      t0 mmap m1 anon
      t0 spawn t1
      t0 fork t2
      t0 robust_init m1+0
      t1 robust_init m1+0
      t2 robust_init m1+0
      t0 robust_lock m0+0
      t1 robust_lock m0+0
      t2 robust_lock m0+0
      t0 robust_unlock m0+0
      t0 mmap m0 anon
    `;
    const v = run(text);
    expect(v.findings).toEqual([]);
    expect(ret(v, 1, "robust_lock m0+0")).toBe(0);
    expect(ret(v, 2, "robust_lock m0+0")).toBeNull();
    // without the remap the same wake is acted on and nobody is stranded
    const w = run(text.replace("t0 mmap m0 anon", ""));
    expect(w.findings).toEqual([]);
    expect(ret(w, 2, "robust_lock m0+0")).toBeNull();
  });

  it("a robust list head registered over the mutex word clears it under a sleeping waiter (a campaign found this)", () => {
    // t2's head at m0+8 puts its list_op_pending (head + 8) on the mutex word at m0+16
    const v = run(`
      config cpus=1
      t0 mmap m0 anon
      t0 mmap m1 anon
      t0 spawn t1
      t0 spawn t2
      t0 robust_init m1+0
      t1 robust_init m0+8
      t0 robust_lock m0+16 @0
      t1 robust_lock m0+16
      t2 robust_init m0+8
    `);
    expect(v.findings).toEqual([]);
    expect(ret(v, 1, "robust_lock m0+16")).toBeNull();
  });

  it("the woken waiter's robust list head is unmapped, so its exit walk cannot resend the wakeup", () => {
    const v = run(`
      config cpus=1
      t0 mmap m0 file f0
      t0 mmap m1 anon
      t0 robust_init m1+0
      t0 fork t1
      t0 fork t2
      t0 fork t4
      t1 robust_init m1+0
      t2 robust_init m1+0
      t1 spawn t3
      t0 robust_lock m0+0
      t1 robust_lock m0+0
      t2 robust_lock m0+0
      t3 munmap m1
      t0 exit
      signal t1 kill
      run t1
      t4 load m0+0
    `);
    expect(v.findings).toEqual([]);
    expect(ret(v, 4, "load m0+0")).toBe((OWNER_DIED | WAITERS) >>> 0);
    expect(ret(v, 2, "robust_lock m0+0")).toBeNull();
  });

  it("a waiter requeued off its mutex is not the mutex's waiter any more", () => {
    const v = run(`
      config cpus=1
      t0 mmap m0 file f0
      t0 mmap m1 anon
      t0 robust_init m1+0
      t0 fork t1
      t0 fork t2
      t1 robust_init m1+0
      t0 robust_lock m0+0
      t1 robust_lock m0+0
      t2 futex_requeue m0+0 m0+64 0 1 shared
      t0 robust_unlock_legacy m0+0
    `);
    expect(v.findings).toEqual([]);
    expect(ret(v, 2, "futex_requeue m0+0 m0+64 0 1 shared")).toBe(1);
    expect(ret(v, 1, "robust_lock m0+0")).toBeNull();
  });

  it("a waiter on a mutex that is simply held by a live owner is a deadlock of the program, not a lost waiter", () => {
    const v = run(CONTENDED);
    expect(v.findings).toEqual([]);
  });
});
