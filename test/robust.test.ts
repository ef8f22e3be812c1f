// Robust futexes (issue 4): exit-time list walk, the robust lock/unlock protocol, the v7.2
// robust unlock race fix (7010c39d) and the robust-list corruption sanitizer.
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { execute, type ExecOptions, type Verdict } from "../src/exec/executor.ts";
import { parse } from "../src/program/text.ts";
import { futex_fixup_robust_unlock_pre_7010c39d } from "../src/kernel/futex/robust_unlock.ts";
import { verifyCorpusFile } from "../src/corpus/file.ts";

const PRE_7010C39D: ExecOptions = { kernel: { seams: { robustUnlockFixup: futex_fixup_robust_unlock_pre_7010c39d } } };
const M0 = 0x10000000;
const M1 = 0x10001000;
const TID = (n: number) => 1000 + n;
const WAITERS = 0x80000000;
const OWNER_DIED = 0x40000000;

function run(text: string, opts: ExecOptions = {}): Verdict {
  return execute(parse(text), opts);
}

/** The returns of task tN's events with this text, in program order. */
function rets(v: Verdict, task: number, event: string): Array<number | null> {
  return v.syscalls.filter((s) => s.task === task && s.event === event).map((s) => s.ret);
}

function ret(v: Verdict, task: number, event: string): number | null {
  const r = rets(v, task, event);
  expect(r.length, `t${task} ${event} ran`).toBeGreaterThan(0);
  return r[r.length - 1]!;
}

describe("robust list at exit", () => {
  it("a thread exiting with a robust mutex marks it OWNER_DIED and wakes the robust_lock waiter", () => {
    const v = run(`
      t0 mmap m0 anon
      t0 mmap m1 anon
      t0 spawn t1
      t0 spawn t2
      t1 robust_init m1+0
      t1 robust_lock m0+16
      t0 robust_init m1+64
      t0 robust_lock m0+16
      t2 load m0+16
      t1 exit
      t2 load m0+16
      t0 load m0+16
    `);
    expect(v.findings).toEqual([]);
    // t0 slept with WAITERS set; the exit walk wrote WAITERS|OWNER_DIED (TID cleared) and woke it
    expect(rets(v, 2, "load m0+16")).toEqual([(TID(1) | WAITERS) >>> 0, (WAITERS | OWNER_DIED) >>> 0]);
    expect(ret(v, 0, "robust_lock m0+16")).toBe(130); // EOWNERDEAD
    // glibc takes it as TID | WAITERS (it slept, so it assumes other waiters) without OWNER_DIED
    expect(ret(v, 0, "load m0+16")).toBe((TID(0) | WAITERS) >>> 0);
  });

  it("a clean lock/unlock pair leaves the word 0 and the list empty", () => {
    const v = run(`
      t0 mmap m0 anon
      t0 mmap m1 anon
      t0 robust_init m1+0
      t0 robust_lock m0+16
      t0 load m1+0
      t0 robust_unlock m0+16
      t0 load m0+16
      t0 load m1+0
      t0 load m1+8
      t0 get_robust_list t0
    `);
    expect(v.findings).toEqual([]);
    expect(ret(v, 0, "robust_lock m0+16")).toBe(0);
    expect(ret(v, 0, "robust_unlock m0+16")).toBe(0);
    expect(ret(v, 0, "load m0+16")).toBe(0);
    expect(rets(v, 0, "load m1+0")).toEqual([M0 + 20, M1]); // node, then the head itself
    expect(ret(v, 0, "load m1+8")).toBe(0);
    expect(ret(v, 0, "get_robust_list t0")).toBe(M1);
  });

  it("a cyclic list ends the walk at ROBUST_LIST_LIMIT without a finding", () => {
    // list head -> c -> b -> a, then a.next = c: a cycle c -> b -> a -> c
    const v = run(
      `
      t0 mmap m0 anon
      t0 mmap m1 anon
      t0 spawn t1
      t1 robust_init m1+0
      t1 robust_lock m0+0
      t1 robust_lock m0+16
      t1 robust_lock m0+32
      t1 store m0+4 ${M0 + 36}
      t1 exit
      t0 load m0+0
      t0 load m0+16
      t0 load m0+32
    `,
      { trace: true },
    );
    expect(v.findings).toEqual([]);
    for (const off of [0, 16, 32]) expect(ret(v, 0, `load m0+${off}`)).toBe(OWNER_DIED);
    const walked = v.trace.filter((e) => e.task === 1 && e.label === "exit_robust_list: fetch_robust_entry(&entry->next)");
    expect(walked.length).toBe(2048);
  });

  it("an overlong self-linked list terminates (selftest circular list: words 0, nothing written)", () => {
    const v = run(`
      t0 mmap m0 anon
      t0 mmap m1 anon
      t0 spawn t1
      t1 robust_init m1+0
      t1 store m1+0 ${M0 + 4}
      t1 store m0+4 ${M0 + 4}
      t1 exit
      t0 load m0+0
    `);
    expect(v.findings).toEqual([]);
    expect(ret(v, 0, "load m0+0")).toBe(0);
    expect(ret(v, 1, "exit")).toBe(null);
  });

  it("a FUTEX_WAIT_PRIVATE waiter is not woken by owner death (the exit wake uses a shared key)", () => {
    const v = run(`
      t0 mmap m0 anon
      t0 mmap m1 anon
      t0 spawn t1
      t0 spawn t2
      t1 robust_init m1+0
      t1 robust_lock m0+16
      t2 store m0+16 tid:t1|waiters
      t0 futex_wait m0+16 tid:t1|waiters
      t1 exit
      t2 load m0+16
      signal t0 usr1
      t2 load m0+16
    `);
    expect(v.findings).toEqual([]);
    expect(rets(v, 2, "load m0+16")[0]).toBe((WAITERS | OWNER_DIED) >>> 0);
    // still asleep after the death: only the signal ends the wait
    expect(ret(v, 0, "futex_wait m0+16 tid:t1|waiters")).toBe(-4);
  });

  it("a shared waiter is woken by owner death", () => {
    const v = run(`
      t0 mmap m0 anon
      t0 mmap m1 anon
      t0 spawn t1
      t1 robust_init m1+0
      t1 robust_lock m0+16
      t0 store m0+16 tid:t1|waiters
      t0 futex_wait m0+16 tid:t1|waiters shared
      t1 exit
      t0 load m0+16
    `);
    expect(v.findings).toEqual([]);
    expect(ret(v, 0, "futex_wait m0+16 tid:t1|waiters shared")).toBe(0);
    expect(ret(v, 0, "load m0+16")).toBe((WAITERS | OWNER_DIED) >>> 0);
  });
});

/**
 * The robust unlock race: t1 is interrupted after unlock instruction k; t2 takes the mutex when it
 * can, releases it, unmaps it and maps file f0 (holding t1's TID at +16) at the same address;
 * then t1 is killed. `kill`: the interrupt carries SIGKILL after the remap. `usr1`: the interrupt
 * runs a handler first, the remap happens while t1 is in the handler, then SIGKILL.
 */
function raceProgram(k: number, variant: "kill" | "usr1"): string {
  return `
    t0 mmap m0 anon
    t0 mmap m1 anon
    t0 mmap m2 file f0
    t0 store m2+16 tid:t1
    t0 spawn t1
    t0 spawn t2
    t1 robust_init m1+0
    t2 robust_init m1+64
    t1 robust_lock m0+16
    t1 robust_unlock m0+16 @${k}
    ${variant === "usr1" ? `irq t1 ${k} usr1\nstep t1 3` : ""}
    t2 robust_lock m0+16
    t2 robust_unlock m0+16
    t2 munmap m0
    t2 mmap m0 file f0
    ${variant === "kill" ? `irq t1 ${k} kill` : "signal t1 kill"}
  `;
}

describe("robust unlock interrupted at every user instruction", () => {
  for (const variant of ["kill", "usr1"] as const) {
    for (const k of [1, 2, 3, 4, 5]) {
      it(`irq after instruction ${k} (${variant}), remap holding the TID: clean on v7.2`, () => {
        const v = run(raceProgram(k, variant));
        expect(v.findings).toEqual([]);
        expect(v.stats.limit).toBe(false);
        expect(ret(v, 2, "robust_lock m0+16")).toBe(0);
        expect(ret(v, 2, "mmap m0 file f0")).toBe(M0);
      });

      it(`irq after instruction ${k} (${variant}) without the exit-to-user fixup (pre-7010c39d)`, () => {
        const v = run(raceProgram(k, variant), PRE_7010C39D);
        if (k !== 3) {
          // IP outside the window or the cmpxchg not done: nothing stale
          expect(v.findings).toEqual([]);
          return;
        }
        expect(v.findings).toHaveLength(1);
        const f = v.findings[0]!;
        expect(f.kind).toBe("robust-corruption");
        expect(f.title).toBe("robust-list corruption: OWNER_DIED written to file data in exit_robust_list");
        expect(f.task).toBe(1);
        expect(f.stack.slice(-4)).toEqual(["do_exit", "futex_exit_release", "exit_robust_list", "handle_futex_death"]);
      });
    }
  }

  // the fixup needs the mm's unlock IP range: dup_mm keeps it, exec maps a vDSO that sets it
  const inChild = (setup: string) => `
    t0 mmap m0 anon
    t0 mmap m1 anon
    t0 mmap m2 file f0
    ${setup}
    t5 store m2+16 tid:t6
    t5 spawn t6
    t5 spawn t7
    t6 robust_init m1+0
    t7 robust_init m1+64
    t6 robust_lock m0+16
    t6 robust_unlock m0+16 @3
    t7 robust_lock m0+16
    t7 robust_unlock m0+16
    t7 munmap m0
    t7 mmap m0 file f0
    irq t6 3 kill
  `;
  for (const [name, setup] of [
    ["a forked process", "t0 fork t5"],
    ["a process after exec", "t0 fork t5\nt5 exec\nt5 mmap m0 anon\nt5 mmap m1 anon\nt5 mmap m2 file f0"],
  ] as const) {
    it(`the race in ${name}: the unlock range is valid there`, () => {
      expect(run(inChild(setup)).findings).toEqual([]);
      const old = run(inChild(setup), PRE_7010C39D);
      expect(old.findings.map((f) => f.kind)).toEqual(["robust-corruption"]);
      expect(old.findings[0]!.task).toBe(6);
    });
  }

  it("the fixup clears list_op_pending only when the cmpxchg succeeded", () => {
    // contended: the cmpxchg fails (WAITERS), so the lock is still held and pending must stay.
    // t2 is another process (fork) sharing the mutex through file f1, so SIGKILL spares it.
    const v = run(`
      t0 mmap m0 file f1
      t0 mmap m1 anon
      t0 spawn t1
      t0 fork t2
      t1 robust_init m1+0
      t2 robust_init m1+64
      t1 robust_lock m0+16
      t2 robust_lock m0+16
      t1 robust_unlock m0+16 @3
      irq t1 3 kill
      t2 load m0+16
    `);
    expect(v.findings).toEqual([]);
    // t1 died holding it: the pending entry got OWNER_DIED and woke t2, which took it over
    expect(ret(v, 2, "robust_lock m0+16")).toBe(130);
    expect(ret(v, 2, "load m0+16")).toBe((TID(2) | WAITERS) >>> 0);
  });
});

describe("robust corpus files", () => {
  const root = fileURLToPath(new URL("../corpus", import.meta.url));
  for (const dir of ["seeds", "conformance"]) {
    const files = readdirSync(join(root, dir)).filter((f) => f.startsWith("robust-") && f.endsWith(".fz"));
    for (const f of files) {
      it(`${dir}/${f}`, () => {
        const r = verifyCorpusFile(join(root, dir, f));
        expect(r.reasons).toEqual([]);
        expect(r.ok).toBe(true);
      });
    }
  }
});
