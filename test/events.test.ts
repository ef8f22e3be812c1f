import { describe, expect, it } from "vitest";
import { EVENT_KINDS, LIMITS, VALUES, argValues, kindOf, makeEvent, type Arg, type ArgKind, type EventKind } from "../src/program/events.js";
import { TARGET_EVENTS, targetEvents } from "../src/program/targets.js";
import { decode, encode } from "../src/program/codec.js";
import { parse, print, printEvent } from "../src/program/text.js";
import { createsTask } from "../src/minimize/rename.js";
import { dropControls } from "../src/minimize/passes.js";
import { SYSCALLS } from "../src/kernel/syscalls.js";
import { CONTROLS } from "../src/exec/control.js";
import type { Event, Program } from "../src/program/types.js";

/** Values of every shape an argument can take: the bounds, the dictionary, both flag states. */
function samples(a: ArgKind): Arg[] {
  switch (a.k) {
    case "task":
      return [0, 3, LIMITS.tasks - 1];
    case "region":
      return [0, 5, LIMITS.regions - 1];
    case "addr":
      return [
        { region: 0, off: 0 },
        { region: 2, off: 8 },
        { region: 1, off: 4095 },
        { region: 3, off: 1022 },
      ];
    case "value":
      return [
        ...VALUES.small.map((bits) => ({ bits })),
        ...VALUES.tidBits.map((bits) => ({ tid: 2, bits })),
        ...VALUES.constants.map((bits) => ({ bits })),
        { bits: 0x1234 },
      ];
    case "mapping":
      return [{ anon: true }, { anon: false, file: 0 }, { anon: false, file: LIMITS.files - 1 }];
    case "int":
      return [...new Set([a.min, a.max, ...a.dict])];
    case "enum":
      return [...a.values];
    case "flag":
      return [false, true];
  }
}

/** Events of kind `kind` that together use every sample of every argument, with and without @k. */
function eventsOf(kind: EventKind): Event[] {
  const lists = kind.args.map(samples);
  const n = Math.max(1, ...lists.map((l) => l.length));
  const hasTask = kind.form === "syscall" || kind.taskOperand === true;
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    const values = lists.map((l) => l[i % l.length]!);
    const stop = kind.form === "syscall" ? [undefined, 0, 5, LIMITS.stop][i % 4] : undefined;
    out.push(makeEvent(kind.name, values, hasTask ? i % LIMITS.tasks : undefined, stop));
  }
  return out;
}

describe("the event registry", () => {
  it("every kind, every argument shape: text and bytes round-trip (derived from the registry)", () => {
    for (const kind of EVENT_KINDS) {
      const p: Program = { cpus: 2, events: eventsOf(kind) };
      expect(p.events.length, kind.name).toBeGreaterThan(0);
      expect(parse(print(p)), kind.name).toEqual(p);
      expect(decode(encode(p)), kind.name).toEqual(p);
      for (const [target, kinds] of Object.entries(TARGET_EVENTS))
        if (kinds.includes(kindOf(kind.name))) expect(decode(encode(p, kinds), kinds), `${kind.name} in ${target}`).toEqual(p);
    }
  });

  it("names every argument once per kind, and keys Event.args by those names", () => {
    for (const kind of EVENT_KINDS) {
      const names = kind.args.map((a) => a.name);
      expect(new Set(names).size, kind.name).toBe(names.length);
      const ev = eventsOf(kind)[0]!;
      expect(Object.keys(ev.args), kind.name).toEqual(names);
      expect(argValues(ev)).toEqual(names.map((n) => Object.entries(ev.args).find(([k]) => k === n)![1]));
    }
  });

  it("has one implementation per kind: a syscall for each syscall form, a handler for each control form", () => {
    const syscalls = EVENT_KINDS.filter((k) => k.form === "syscall").map((k) => k.name);
    const controls = EVENT_KINDS.filter((k) => k.form === "control").map((k) => k.name);
    expect(Object.keys(SYSCALLS).sort()).toEqual([...syscalls].sort());
    expect(Object.keys(CONTROLS).sort()).toEqual([...controls].sort());
  });

  it("keeps the byte codes of the kinds the corpora were written with", () => {
    // the byte codec numbers kinds by registry row: new kinds are appended, never inserted
    expect(EVENT_KINDS.map((k) => k.name).slice(0, 4)).toEqual(["mmap", "munmap", "store", "load"]);
    expect(EVENT_KINDS.map((k) => k.name).slice(24, 27)).toEqual(["get_robust_list", "set_robust_list", "robust_pending"]);
    expect(EVENT_KINDS.map((k) => k.name).slice(27, 33)).toEqual(["futex_wake_op", "futex2_wait", "futex2_wake", "waitv_entry", "futex_waitv", "futex2_requeue"]);
    expect(EVENT_KINDS.map((k) => k.name).slice(33, 37)).toEqual(["futex_wait_timeout", "timeout", "sigaction", "sigstop"]);
    expect(EVENT_KINDS.map((k) => k.name).slice(37, 41)).toEqual(["spawn_cleartid", "clone_vm", "vfork", "set_tid_address"]);
    // PI futexes and requeue-PI, appended after the futex2 and lifecycle blocks
    expect(EVENT_KINDS.map((k) => k.name).slice(41, 46)).toEqual(["futex_lock_pi", "futex_trylock_pi", "futex_unlock_pi", "futex_wait_requeue_pi", "futex_cmp_requeue_pi"]);
    // glibc's robust unlock without FUTEX_ROBUST_UNLOCK
    expect(EVENT_KINDS.map((k) => k.name).slice(46, 47)).toEqual(["robust_unlock_legacy"]);
    // bytes written by the build before the registry had named arguments
    const hex = (text: string) => Buffer.from(encode(parse(text))).toString("hex");
    expect(hex("config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\ngp\n")).toBe("000000800000040081000601000000000016");
    expect(hex("config cpus=2\nt0 robust_pending m0+32 @1\nt1 get_robust_list t0\nt0 set_robust_list m0+96 12\nirq t1 3 kill\n")).toBe(
      "001a008008811881000019000018000014010000",
    );
    // FUTEX_WAKE_OP and futex2 (appended after robust_pending); nodes=2 in the cpus byte
    expect(hex("config cpus=2 nodes=2\nt0 futex_wake_op m0+0 m0+4 1 1 add 1 shl gt 0\nt0 waitv_entry m0+8 0 u32 private numa\nt0 futex_waitv @0\n")).toBe(
      "081b00800000010000010101040000001e00000200000101001f0080",
    );
  });

  it("makeEvent checks each argument's type", () => {
    expect(() => makeEvent("futex_wait", [{ region: 0, off: 0 }, 5, false], 0)).toThrow(/do not fit/);
    expect(() => makeEvent("signal", ["term"], 0)).toThrow(/do not fit/);
    expect(() => makeEvent("mmap", [0], 0)).toThrow(/do not fit/);
    expect(() => makeEvent("frobnicate", [])).toThrow(/unknown event kind/);
    expect(makeEvent("futex_wake", [{ region: 1, off: 4 }, 2, true], 3, 7)).toEqual({
      op: "futex_wake",
      task: 3,
      stop: 7,
      args: { addr: { region: 1, off: 4 }, nr_wake: 2, shared: true },
    });
  });

  it("fuzz targets' event sets are registry kinds; an unknown target names the known ones", () => {
    for (const kinds of Object.values(TARGET_EVENTS)) for (const k of kinds) expect(kindOf(k.name)).toBe(k);
    expect(targetEvents("all")).toBe(EVENT_KINDS);
    expect(() => targetEvents("nope")).toThrow("unknown target 'nope' (known: all, hash-resize, fork-lifecycle, robust-unlock, futex2, pi)");
  });
});

describe("argument roles", () => {
  it("only an argument that creates a task creates it: spawn and fork do, get_robust_list does not", () => {
    const p = parse("t0 spawn t1\nt0 fork t2\nt0 get_robust_list t3\n");
    expect(p.events.map((e) => createsTask(e, 1))).toEqual([true, false, false]);
    expect(p.events.map((e) => createsTask(e, 2))).toEqual([false, true, false]);
    expect(p.events.map((e) => createsTask(e, 3))).toEqual([false, false, false]);
  });

  it("the minimizer drops exactly the registry's noise kinds at once", () => {
    const noise = EVENT_KINDS.filter((k) => "noise" in k && k.noise).map((k) => k.name);
    expect(noise).toEqual(["cpu", "gp", "fail_alloc"]);
    const p = parse("t0 spawn t1\ncpu t1 1\ngp\nstep t1 2\nfail_alloc 3\nrun t1\n");
    const out = dropControls(p, { test: () => true });
    expect(out.events.map(printEvent)).toEqual(["t0 spawn t1", "step t1 2", "run t1"]);
  });
});
