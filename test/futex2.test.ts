// FUTEX_WAKE_OP, futex2 (sizes, NUMA node words), futex_waitv: the op encoding and its errno
// table, the node check, KASAN's bounds check of a sized access, the lost-waiter sanitizer with
// several futex_qs per sleeper, the two switches' mechanisms, and determinism.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Kernel } from "../src/kernel/kernel.js";
import { KObj } from "../src/kernel/alloc.js";
import { mm_alloc } from "../src/kernel/mm.js";
import { run_atomic } from "../src/kernel/sched.js";
import { Panic, type Finding } from "../src/sanitizers/report.js";
import { Sanitizers } from "../src/sanitizers/sanitizers.js";
import { FutexQ, GlobalHash, MAX_NUMNODES, __futex_queue } from "../src/kernel/futex/hb.js";
import { futex_atomic_op_inuser, futex_op_encode } from "../src/kernel/futex/wake_op.js";
import { FLAGS_NUMA, FLAGS_SHARED, FLAGS_SIZE_32, futex2_to_flags, futex2Flags, futex_flags_valid, futex_node_invalid, futex_node_invalid_pre_8337204c5889 } from "../src/kernel/futex/numa.js";
import { futex2_requeue_flags, futex2_requeue_flags_pre_19f94b390586 } from "../src/kernel/futex/futex2.js";
import { Page, regionAddress } from "../src/kernel/memory.js";
import { execute } from "../src/exec/executor.js";
import { parse } from "../src/program/text.js";
import { compare } from "../src/model/compare.js";

function finding(f: () => unknown): Finding | null {
  try {
    f();
  } catch (e) {
    if (e instanceof Panic) return e.finding;
    throw e;
  }
  return null;
}

function world(nodes = 1) {
  const k = new Kernel(2, { hooks: (k, observe) => new Sanitizers(k, observe), nodes });
  const mm = run_atomic(mm_alloc(k, k.softirq))!;
  const t = k.newTask(0, null, mm, 1);
  mm.as.regions.set(0, { file: null, page: new Page(null) });
  return { k, mm, t };
}

const rets = (text: string, bugs: string[] = []) => execute(parse(text), { bugs }).syscalls.map((s) => s.ret);

describe("FUTEX_WAKE_OP", () => {
  it("encodes op, cmp, oparg, cmparg and FUTEX_OP_OPARG_SHIFT as the uapi FUTEX_OP() does", () => {
    expect(futex_op_encode(1, false, 1, 4, 0)).toBe(0x14001000); // FUTEX_OP(ADD, 1, GT, 0)
    expect(futex_op_encode(0, true, 3, 0, 0xfff)).toBe(0x80003fff); // SET with OPARG_SHIFT
  });

  it("applies each op to the word and compares the old value as a signed int", () => {
    const { k, t } = world();
    const a = regionAddress(0);
    const run = (old: number, op: number, shl: boolean, oparg: number, cmp: number, cmparg: number) => {
      t.mm!.as.write(a, old);
      const r = futex_atomic_op_inuser(k, t, futex_op_encode(op, shl, oparg, cmp, cmparg), a);
      return [r, t.mm!.as.read(a)];
    };
    expect(run(5, 0, false, 7, 0, 5)).toEqual([1, 7]); // SET, EQ
    expect(run(5, 1, false, 0xfff, 1, 5)).toEqual([0, 4]); // ADD -1 (sign-extended), NE
    expect(run(5, 2, false, 2, 2, 6)).toEqual([1, 7]); // OR, LT
    expect(run(7, 3, false, 2, 3, 7)).toEqual([1, 5]); // ANDN, LE
    expect(run(5, 4, false, 1, 4, 4)).toEqual([1, 4]); // XOR, GT
    expect(run(0xffffffff, 0, false, 0, 5, 0xfff)).toEqual([1, 0]); // old -1 GE cmparg -1
    expect(run(0, 0, true, 31, 0, 0)).toEqual([1, 0x80000000]); // 1 << 31
    expect(run(0, 0, true, 33, 0, 0)).toEqual([1, 2]); // an oparg over 31 is masked to 1
    expect(run(9, 5, false, 1, 0, 0)).toEqual([-38, 9]); // unknown op: nothing written
    expect(run(9, 0, false, 1, 6, 0)).toEqual([-38, 1]); // unknown cmp: written, then -ENOSYS
    expect(futex_atomic_op_inuser(k, t, 0, regionAddress(3))).toBe(-14); // unmapped: -EFAULT
  });

  it("wakes on uaddr1, then on uaddr2 only if the comparison holds; misaligned is -EINVAL", () => {
    const base = "t0 mmap m0 anon\nt0 spawn t1\nt0 spawn t2\nt1 futex_wait m0+0 0\nt2 futex_wait m0+4 0\n";
    expect(rets(base + "t0 futex_wake_op m0+0 m0+4 1 1 set 1 ne 0\n").slice(-1)).toEqual([1]);
    expect(rets(base + "t0 futex_wake_op m0+0 m0+4 1 1 set 1 eq 0\n").slice(-1)).toEqual([2]);
    expect(rets(base + "t0 futex_wake_op m0+0 m0+6 1 1 set 1 eq 0\n").slice(-1)).toEqual([-22]);
  });
});

describe("futex2 flags and FUTEX2_NUMA", () => {
  it("only FUTEX2_SIZE_U32 is implemented; no FUTEX2_PRIVATE means shared", () => {
    expect(["u8", "u16", "u32", "u64"].map((s) => futex_flags_valid(futex2_to_flags(futex2Flags(s as "u32", true, false))))).toEqual([false, false, true, false]);
    expect(futex2_to_flags(futex2Flags("u32", false, true))).toBe(FLAGS_SIZE_32 | FLAGS_SHARED | FLAGS_NUMA);
    expect(rets("t0 mmap m0 anon\nt0 futex2_wake m0+0 1 u8\nt0 futex2_wake m0+0 1 u16\nt0 futex2_wake m0+0 1 u64\nt0 futex2_wake m0+0 1 u32\n")).toEqual([0x10000000, -22, -22, -22, 0]);
  });

  it("the node check: FUTEX_NO_NODE and possible nodes pass; v7.2 compares unsigned, the old check signed", () => {
    const { k, t } = world(2);
    expect([-1, 0, 1].map((n) => futex_node_invalid(k, t, n))).toEqual([false, false, false]);
    expect([2, 63, MAX_NUMNODES, -2].map((n) => futex_node_invalid(k, t, n))).toEqual([true, true, true, true]);
    // the old check lets -2 through to node_possible(): KASAN sees the read before the bitmap
    const f = finding(() => futex_node_invalid_pre_8337204c5889(k, t, -2));
    expect(f?.kind).toBe("out-of-bounds");
    expect(f?.title).toBe("KASAN: global-out-of-bounds in unknown");
    expect(finding(() => futex_node_invalid_pre_8337204c5889(k, t, 64))).toBeNull();
  });

  it("FUTEX_NO_NODE becomes the caller's node (CPU c on node c mod nodes), written back", () => {
    const p = "config cpus=2 nodes=2\nt0 mmap m0 anon\nt0 store m0+4 0xffffffff\nt0 futex2_wake m0+0 1 u32 numa\nt0 load m0+4\ncpu t0 1\nt0 store m0+4 0xffffffff\nt0 futex2_wake m0+0 1 u32 numa\nt0 load m0+4\n";
    expect(rets(p)).toEqual([0x10000000, 0, 0, 0, 0, 0, 1]);
  });

  it("a NUMA key bypasses the private hash and uses its node's global table", () => {
    const g = new GlobalHash(2, 2);
    expect(g.mask).toBe(255); // 256 * 2 CPUs / 2 nodes
    const { mm } = world();
    const k0 = g.bucket({ type: "private", mm, addr: 0x10000000, node: 0 });
    const k1 = g.bucket({ type: "private", mm, addr: 0x10000000, node: 1 });
    expect(k1.index - k0.index).toBe(256);
    const text = "t0 mmap m0 anon\nt0 spawn t1\nt1 futex2_wait m0+0 0 u32 private numa\nt0 futex_wake m0+0 1\nt0 futex2_wake m0+0 1 u32 private numa\n";
    expect(rets(text).slice(-3)).toEqual([0, 0, 1]);
  });
});

describe("KASAN: sized accesses", () => {
  it("reports an access outside the object, not one inside", () => {
    const { k, t } = world();
    const obj = k.heap.alloc(new KObj("struct thing", 16), t)!;
    expect(finding(() => k.hooks.accessAt(obj, 8, 8, "read", t))).toBeNull();
    expect(finding(() => k.hooks.accessAt(obj, 12, 8, "read", t))?.title).toBe("KASAN: slab-out-of-bounds in unknown");
    expect(finding(() => k.hooks.accessAt(k.global.node_possible_map, -8, 8, "read", t))?.report).toContain("8 bytes to the left");
  });
});

describe("futex_waitv", () => {
  it("returns the largest index woken before the waiter ran (simulator and model agree)", () => {
    const p = "t0 mmap m0 anon\nt0 spawn t1\nt1 waitv_entry m0+0 0 u32 private\nt1 waitv_entry m0+4 0 u32 private\nt1 waitv_entry m0+8 0 u32 private\nt1 futex_waitv\nt0 futex_wake m0+4 1\nt0 futex_wake m0+0 1\nrun t1\n";
    expect(rets(p).slice(-3)).toEqual([1, 1, 1]);
    const v = execute(parse(p));
    expect(v.syscalls.find((s) => s.event === "futex_waitv")?.ret).toBe(1);
    expect(compare(parse(p)).mismatch).toBeNull();
  });

  it("the lost-waiter sanitizer checks every futex_q of a sleeper", () => {
    const { k, mm, t } = world();
    const good = new FutexQ(t, { type: "private", mm, addr: 0x10000000 });
    const bad = new FutexQ(t, { type: "private", mm, addr: 0x10000004 });
    __futex_queue(good, k.global.bucket(good.key));
    __futex_queue(bad, k.global.bucket(good.key)); // queued under another key's bucket
    k.hooks.sleep(t, good, bad);
    expect(k.hooks.isSleeping(t)).toBe(true);
    expect([...k.hooks.sleepers()]).toEqual([good, bad]);
    expect(finding(() => k.hooks.quiescent())?.kind).toBe("lost-waiter");
    k.hooks.woken(t);
    expect(finding(() => k.hooks.quiescent())).toBeNull();
  });
});

describe("futex_requeue(2) flags", () => {
  it("v7.2 wants both entries' flags equal; 0f4b5f972216 took them as they came", () => {
    expect(futex2_requeue_flags(FLAGS_SIZE_32, FLAGS_SIZE_32 | FLAGS_SHARED)).toBe(-22);
    expect(futex2_requeue_flags(FLAGS_SIZE_32, FLAGS_SIZE_32)).toBe(0);
    expect(futex2_requeue_flags_pre_19f94b390586()).toBe(0);
  });

  it("the switches fire on their reproducers and the fixed kernel stays clean, every time", () => {
    for (const [file, bug, kind] of [
      ["corpus/regressions/futex2-requeue-mixed-flags/shared-to-private.fz", "futex2-requeue-mixed-flags", "use-after-free"],
      ["corpus/regressions/numa-negative-node/node-minus-two.fz", "numa-negative-node", "out-of-bounds"],
    ] as const) {
      const p = parse(readFileSync(file, "utf8"));
      const a = execute(p, { bugs: [bug] });
      expect(a.findings[0]?.kind).toBe(kind);
      expect(JSON.stringify(execute(p, { bugs: [bug] }))).toBe(JSON.stringify(a));
      expect(execute(p).findings).toEqual([]);
    }
  });
});
