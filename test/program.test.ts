import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parse, print, ParseError } from "../src/program/text.js";
import { decode, encode } from "../src/program/codec.js";
import { EVENT_KINDS } from "../src/program/events.js";
import { arbProgram } from "./arb.js";

const EVERY_EVENT = `config cpus=2
t0 mmap m0 anon
t0 mmap m1 file f0
t0 munmap m1
t0 store m0+8 5
t0 store m2+16 tid:t1
t0 store m0+12 tid:t1|waiters|died
t0 store m0+20 0x80000000
t0 load m0+8
t0 spawn t1
t0 fork t2
t0 futex_wait m0+0 0
t0 futex_wait m1+0 0 shared
t1 futex_wake m0+0 1 @3
t1 futex_wake m0+0 1 @0
t0 futex_requeue m0+0 m0+4 1 1
t0 futex_cmp_requeue m0+0 m0+4 1 1 0
t0 futex_cmp_requeue m0+0 m0+4 1 1 0 shared
t0 hash_set_slots 64
t0 hash_get_slots
t0 robust_init m0+64
t0 robust_lock m0+16
t0 robust_unlock m0+16
t0 exec
t0 exec fail
t0 exit
step t1 2
run t1
cpu t1 1
irq t1 3 kill
signal t0 usr1
signal t0 kill
gp
fail_alloc 2
t1 get_robust_list t0
t0 set_robust_list m0+96 12
t0 robust_pending m0+32 @1
t0 futex_wake_op m0+0 m0+4 1 1 add 1 gt 0
t0 futex_wake_op m0+0 m0+4 1 0 set 4095 shl cmp6 4095 shared
t1 futex2_wait m0+8 0 u32 private numa
t0 futex2_wake m0+8 1 u64
t0 waitv_entry m0+16 0 u32 private
t0 waitv_entry m1+0 0 u8 numa
t0 futex_waitv @2
t0 futex2_requeue 1 0
t1 futex_wait_timeout m0+0 0 rel
t1 futex_wait_timeout m1+0 0 abs_realtime shared
timeout t1
t0 sigaction restart
t0 sigaction
sigstop t1
t0 spawn_cleartid t3 m0+40
t3 set_tid_address m0+44
t0 clone_vm t4
t0 vfork t5
t1 futex_lock_pi m0+0
t1 futex_lock_pi m1+0 shared @2
t2 futex_trylock_pi m0+0
t1 futex_unlock_pi m0+0
t1 futex_unlock_pi m1+0 shared robust
t1 futex_unlock_pi m0+0 robust
t0 futex_wait_requeue_pi m0+0 0 m0+4
t0 futex_wait_requeue_pi m1+0 0 m1+4 shared
t1 futex_cmp_requeue_pi m0+0 m0+4 1 2 0
t0 robust_unlock_legacy m0+16 @2
`;

describe("program text", () => {
  it("parses and prints every event form of DESIGN §4 canonically", () => {
    const p = parse(EVERY_EVENT);
    expect(print(p)).toBe(EVERY_EVENT);
    const used = new Set(p.events.map((e) => e.op));
    for (const k of EVENT_KINDS) expect(used.has(k.name), k.name).toBe(true);
  });

  it("config nodes=N: printed only when more than one node, in the bytes' cpus byte", () => {
    const p = parse("config cpus=4 nodes=2\nt0 futex2_wait m0+0 0 u32 numa\n");
    expect(p.nodes).toBe(2);
    expect(print(p)).toBe("config cpus=4 nodes=2\nt0 futex2_wait m0+0 0 u32 numa\n");
    expect(decode(encode(p))).toEqual(p);
    expect(print(parse("config nodes=1 cpus=1\n"))).toBe("config cpus=1\n");
    expect(() => parse("config nodes=5\n")).toThrow(/nodes 5 out of range 1..4/);
  });

  it("ignores comments and blank lines", () => {
    const p = parse("# futex-fuzz 1\n\nconfig cpus=4   # four CPUs\nt0 mmap m0 anon # map\n");
    expect(p.cpus).toBe(4);
    expect(print(p)).toBe("config cpus=4\nt0 mmap m0 anon\n");
  });

  it.each([
    ["t0 futex_wait m0+0 zz", 1, 20, "expected u32 value"],
    ["t0 mmap m0 anon\nt0 frobnicate", 2, 4, "unknown event 'frobnicate'"],
    ["futex_wake m0+0 1", 1, 1, "needs a task"],
    ["t0 gp", 1, 1, "is not run by a task"],
    ["t0 store m0+4096 1", 1, 13, "offset 4096 out of range"],
    ["config cpus=9", 1, 13, "cpus 9 out of range"],
    ["t0 futex_wake m0+0", 1, 19, "missing its nr_wake"],
    ["t0 load m0+0 extra", 1, 14, "unexpected 'extra'"],
    ["t0 store m0+0 tid:t1|bogus", 1, 15, "bad TID flag"],
  ])("reports line and column: %s", (text, line, col, msg) => {
    try {
      parse(text, "x.fz");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      const pe = e as ParseError;
      expect([pe.line, pe.column]).toEqual([line, col]);
      expect(pe.message).toContain(msg);
      expect(pe.message.startsWith(`x.fz:${line}:${col}:`)).toBe(true);
    }
  });
});

describe("properties", () => {
  it("decode is total: any bytes give a program that prints and re-parses", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const p = decode(bytes);
        expect(parse(print(p))).toEqual(p);
      }),
      { numRuns: 3000 },
    );
  });

  it("decode(encode(p)) equals p", () => {
    fc.assert(
      fc.property(arbProgram({ maxEvents: 40, tasks: 16, regions: 16 }), (p) => {
        expect(decode(encode(p))).toEqual(p);
      }),
      { numRuns: 3000 },
    );
  });

  it("print(parse(print(p))) equals print(p)", () => {
    fc.assert(
      fc.property(arbProgram({ maxEvents: 40 }), (p) => {
        const t = print(p);
        expect(print(parse(t))).toBe(t);
      }),
      { numRuns: 3000 },
    );
  });
});
