// Timed waits (`futex_wait_timeout` + `timeout tN`) and syscall restarts (`sigaction restart`,
// `sigstop`): the errno table, the races the timer takes part in, and determinism.
import { describe, expect, it } from "vitest";
import { execute } from "../src/exec/executor.js";
import { parse } from "../src/program/text.js";
import { reference } from "../src/model/reference.js";

function rets(text: string): (number | null)[] {
  const v = execute(parse(text));
  expect(v.findings).toEqual([]);
  return v.syscalls.map((s) => s.ret);
}

const HEAD = "config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\n";

describe("timed futex waits", () => {
  it.each([
    ["bad_nsec", -22],
    ["rel_realtime", -38],
  ])("the timespec and clock checks come first: %s -> %d", (clock, ret) => {
    expect(rets(`${HEAD}t1 futex_wait_timeout m0+2 0 ${clock}\n`).at(-1)).toBe(ret);
  });

  it("a word that differs is -EAGAIN, a misaligned one -EINVAL, like FUTEX_WAIT", () => {
    expect(rets(`${HEAD}t1 futex_wait_timeout m0+0 1 abs\nt1 futex_wait_timeout m0+2 0 rel\n`).slice(-2)).toEqual([-11, -22]);
  });

  it("sleeps until the expiry passes, then returns -ETIMEDOUT (every clock that sleeps)", () => {
    for (const clock of ["rel", "abs", "abs_realtime"]) expect(rets(`${HEAD}t1 futex_wait_timeout m0+0 0 ${clock}\ntimeout t1\nrun t1\n`).at(-1)).toBe(-110);
    expect(rets(`${HEAD}t1 futex_wait_timeout m0+0 0 rel\n`).at(-1)).toBe(null);
  });

  it("a wake that finds the timed-out waiter still queued wins: 0, and the wake counts it", () => {
    expect(rets(`${HEAD}t1 futex_wait_timeout m0+0 0 rel\ntimeout t1\nt0 futex_wake m0+0 1\nrun t1\n`).slice(-2)).toEqual([0, 1]);
  });

  it("an expiry that passes before the timer starts fires it at its start", () => {
    expect(rets(`${HEAD}t1 futex_wait_timeout m0+0 0 rel @2\ntimeout t1\nrun t1\n`).at(-1)).toBe(-110);
  });

  it("`timeout` on a task with no timed wait is skipped", () => {
    const v = execute(parse(`${HEAD}t1 futex_wait m0+0 0\ntimeout t1\nt0 futex_wake m0+0 1\n`));
    expect(v.stats.skipped).toBe(1);
    expect(v.syscalls.map((s) => s.ret).slice(-2)).toEqual([0, 1]);
  });
});

describe("syscall restarts", () => {
  it("-ERESTARTSYS: -EINTR without SA_RESTART, a re-run with it", () => {
    expect(rets(`${HEAD}t1 futex_wait m0+0 0\nsignal t1 usr1\nrun t1\n`).at(-1)).toBe(-4);
    const r = rets(`${HEAD}t0 sigaction restart\nt1 futex_wait m0+0 0\nsignal t1 usr1\nrun t1\nt0 store m0+0 1\nt0 futex_wake m0+0 1\n`);
    expect(r.slice(-4)).toEqual([0, 0, 0, 1]);
  });

  it("a re-run reads the word again: -EAGAIN if it changed meanwhile", () => {
    expect(rets(`${HEAD}t0 sigaction restart\nt1 futex_wait m0+0 0\nt0 store m0+0 7\nsignal t1 usr1\nrun t1\n`).slice(-2)).toEqual([-11, 0]);
  });

  it("-ERESTART_RESTARTBLOCK: a handler makes it -EINTR even with SA_RESTART; a group stop restarts it", () => {
    expect(rets(`${HEAD}t0 sigaction restart\nt1 futex_wait_timeout m0+0 0 rel\nsignal t1 usr1\nrun t1\n`).at(-1)).toBe(-4);
    expect(rets(`${HEAD}t1 futex_wait_timeout m0+0 0 abs\nsigstop t0\nrun t1\nt0 futex_wake m0+0 1\n`).slice(-2)).toEqual([0, 1]);
    expect(rets(`${HEAD}t1 futex_wait_timeout m0+0 0 abs\nsigstop t0\nrun t1\ntimeout t1\nrun t1\n`).at(-1)).toBe(-110);
  });

  it("the restart keeps the expiry: one that passed before the restart times out at once", () => {
    expect(rets(`${HEAD}t1 futex_wait_timeout m0+0 0 rel\nsigstop t1\ntimeout t1\nrun t1\n`).at(-1)).toBe(-110);
  });

  it("the reference model agrees, and the same program gives the same verdict", () => {
    const text = `${HEAD}t0 sigaction restart\nt1 futex_wait m0+0 0\nsignal t1 usr1\nrun t1\nt0 futex_wake m0+0 1\nt1 futex_wait_timeout m0+0 0 rel\nsigstop t0\nrun t1\ntimeout t1\nrun t1\n`;
    const a = execute(parse(text));
    const b = execute(parse(text));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(reference(parse(text)).syscalls.map((s) => s.ret)).toEqual(a.syscalls.map((s) => s.ret));
  });
});
