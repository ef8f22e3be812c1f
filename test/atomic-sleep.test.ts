// The sleeping-in-atomic check: might_sleep() in a spinlock, a preempt-disabled region, an RCU
// read-side section or a softirq is a report; the same calls in process context are not.
import { describe, expect, it } from "vitest";
import { Kernel } from "../src/kernel/kernel.js";
import { KObj, kvfree, PAGE_SIZE } from "../src/kernel/alloc.js";
import { Mutex, SOFTIRQ_OFFSET, SpinLock, mutex_lock, run_atomic, spin_lock, spin_unlock, type LockOwner } from "../src/kernel/sched.js";
import { Sanitizers } from "../src/sanitizers/sanitizers.js";
import { Panic, type Finding } from "../src/sanitizers/report.js";

function kernel(): Kernel {
  return new Kernel(1, { hooks: (k, observe) => new Sanitizers(k, observe) });
}

function finding(fn: () => void): Finding | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof Panic) return e.finding;
    throw e;
  }
}

function ctx(frames: string[] = ["caller"]): LockOwner {
  return { id: 3, frames, preemptCount: 0, rcuDepth: 0 };
}

describe("sleeping in atomic context", () => {
  it("mutex_lock under a spinlock is a report naming the function and the count", () => {
    const k = kernel();
    const c = ctx(["futex_thing"]);
    run_atomic(spin_lock(c, new SpinLock("hb->lock")));
    const f = finding(() => run_atomic(mutex_lock(k, c, new Mutex("m"))));
    expect(f?.kind).toBe("sleep-in-atomic");
    expect(f?.title).toBe("BUG: sleeping function called from invalid context at mutex_lock");
    expect(f?.stack).toEqual(["futex_thing"]);
    expect(f?.report).toContain("in_atomic(): 1");
    expect(f?.report).toContain("preempt_count: 1, expected: 0");
  });

  it("mutex_lock after the spinlock is released is fine", () => {
    const k = kernel();
    const c = ctx();
    const l = new SpinLock("hb->lock");
    run_atomic(spin_lock(c, l));
    spin_unlock(c, l);
    expect(finding(() => run_atomic(mutex_lock(k, c, new Mutex("m"))))).toBeNull();
  });

  it("an RCU read-side section is atomic too", () => {
    const k = kernel();
    const c = ctx();
    c.rcuDepth = 1;
    const f = finding(() => k.heap.alloc(new KObj("struct x", 8), c));
    expect(f?.title).toBe("BUG: sleeping function called from invalid context at might_alloc");
    expect(f?.report).toContain("RCU nest depth: 1, expected: 0");
  });

  it("vfree of vmalloc memory with preemption off reports; a kmalloc'ed object or a softirq does not", () => {
    const k = kernel();
    const c = ctx(["__mmdrop"]);
    const big = k.heap.alloc(new KObj("struct futex_private_hash", PAGE_SIZE + 64), c)!;
    const small = k.heap.alloc(new KObj("struct futex_private_hash", 64), c)!;
    c.preemptCount = 1;
    expect(finding(() => kvfree(k, c, small))).toBeNull();
    const f = finding(() => kvfree(k, c, big));
    expect(f?.title).toBe("BUG: sleeping function called from invalid context at vfree");
    expect(f?.stack).toEqual(["__mmdrop"]);
    // in a softirq vfree defers the work (vfree_atomic) and does not sleep
    const soft = ctx(["rcu_do_batch"]);
    soft.preemptCount = SOFTIRQ_OFFSET;
    expect(finding(() => kvfree(k, soft, big))).toBeNull();
  });

  it("a GFP_KERNEL allocation from a softirq reports", () => {
    const k = kernel();
    const soft = ctx(["rcu_do_batch", "cb"]);
    soft.preemptCount = SOFTIRQ_OFFSET;
    expect(finding(() => k.heap.alloc(new KObj("struct x", 8), soft))?.kind).toBe("sleep-in-atomic");
  });

  it("a blocking call with the task state not TASK_RUNNING is a WARN (__might_sleep), in TASK_RUNNING none", () => {
    const k = kernel();
    const c = ctx(["futex_pivot_pending"]);
    expect(finding(() => run_atomic(mutex_lock(k, c, new Mutex("m"))))).toBeNull();
    c.stateSetAt = "prepare_to_wait_event";
    const f = finding(() => run_atomic(mutex_lock(k, c, new Mutex("m2"))));
    expect(f?.kind).toBe("warn");
    expect(f?.title).toBe("WARNING in __might_sleep: do not call blocking ops when !TASK_RUNNING");
    expect(f?.report).toContain("set at prepare_to_wait_event");
  });
});
