// Every sanitizer, fed a broken state built directly (no bug switch): it must report the right
// kind. These are the detectors the historical-bug switches rely on.
import { describe, expect, it } from "vitest";
import { Kernel } from "../src/kernel/kernel.js";
import { KObj, kvfree, kvfree_rcu } from "../src/kernel/alloc.js";
import { mm_alloc, type Mm } from "../src/kernel/mm.js";
import { run_atomic } from "../src/kernel/sched.js";
import { Panic, type Finding } from "../src/sanitizers/report.js";
import { Sanitizers } from "../src/sanitizers/sanitizers.js";
import { Scheduler } from "../src/exec/scheduler.js";
import { FR_ATOMIC, FutexPrivateHash, futex_hash_free } from "../src/kernel/futex/private.js";
import { futex_private_hash_put } from "../src/kernel/futex/core.js";
import { LONG_MAX, futex_ref_drop, futex_ref_get, futex_ref_put, futex_ref_rcu } from "../src/kernel/futex/ref.js";
import { FH_CUSTOM, __futex_pivot_hash, futex_hash_allocate, futex_rehash_private } from "../src/kernel/futex/resize.js";
import { FutexQ, __futex_queue, futex_hb_waiters_inc, type FutexKey } from "../src/kernel/futex/hb.js";
import { __futex_hash } from "../src/kernel/futex/private.js";
import { futex_unqueue } from "../src/kernel/futex/core.js";
import { alloc_percpu } from "../src/kernel/percpu.js";
import { regionAddress } from "../src/kernel/memory.js";
import type { Task } from "../src/kernel/task.js";

function finding(f: () => unknown): Finding {
  try {
    f();
  } catch (e) {
    if (e instanceof Panic) return e.finding;
    throw e;
  }
  throw new Error("no finding reported");
}

interface World {
  k: Kernel;
  mm: Mm;
  t: Task;
  fph: FutexPrivateHash;
}

/** One process (t0) with a published 16-slot private hash holding its initial reference. */
function world(cpus = 2): World {
  const k = new Kernel(cpus, { hooks: (k, observe) => new Sanitizers(k, observe) });
  const mm = run_atomic(mm_alloc(k, k.softirq))!;
  const t = k.newTask(0, null, mm, 0);
  mm.futex.ref = alloc_percpu(k, t)!;
  mm.futex.ref.vals[0] = 1;
  const fph = k.heap.alloc(new FutexPrivateHash(16, 15, mm, false), t)!;
  mm.futex.hash = fph;
  return { k, mm, t, fph };
}

function newHash(w: World, slots: number, custom = false): FutexPrivateHash {
  return w.k.heap.alloc(new FutexPrivateHash(slots, slots ? slots - 1 : 0, w.mm, custom), w.t)!;
}

function privateKey(mm: Mm, off = 0): FutexKey {
  return { type: "private", mm, addr: regionAddress(0) + off };
}

/** Queue a sleeping waiter of t on the bucket `fph` gives its key (as futex_wait_setup would). */
function sleeper(w: World, fph: FutexPrivateHash | null, t = w.t): FutexQ {
  const key = privateKey(w.mm);
  const q = new FutexQ(t, key);
  const hb = __futex_hash(w.k, t, key, fph).hb;
  futex_hb_waiters_inc(w.k, t, hb);
  __futex_queue(q, hb);
  w.k.hooks.sleep(t, q);
  return q;
}

describe("refcount", () => {
  it("an unbiased atomic going below zero (a put without a get in the atomic phase)", () => {
    const w = world();
    w.fph.frState = FR_ATOMIC;
    w.mm.futex.atomic = 0n;
    const f = finding(() => run_atomic(futex_ref_put(w.k, w.t, w.fph)));
    expect(f.kind).toBe("refcount");
    expect(f.stack.at(-1)).toBe("futex_ref_put");
  });

  it("the fold in __futex_ref_atomic_end returning < 0", () => {
    const w = world();
    w.mm.futex.ref!.vals[0] = 0; // the initial reference was dropped twice
    w.fph.frState = FR_ATOMIC;
    w.mm.futex.atomic = LONG_MAX;
    w.mm.users++; // the transition's mmget
    const f = finding(() => run_atomic(futex_ref_rcu(w.k, w.k.softirq, w.mm)));
    expect(f.kind).toBe("refcount");
    expect(f.stack.at(-1)).toBe("__futex_ref_atomic_end");
  });

  it("futex_private_hash_put without a matching get", () => {
    const w = world();
    const f = finding(() => run_atomic(futex_private_hash_put(w.k, w.t, w.fph)));
    expect(f.kind).toBe("refcount");
  });

  it("a hash reference still held on return to user space", () => {
    const w = world();
    w.k.hooks.fphGet(w.t);
    expect(finding(() => w.k.hooks.userReturn(w.t)).kind).toBe("refcount");
  });

  it("a biased atomic may wrap without a report (two's complement, as in the kernel)", () => {
    const w = world();
    w.fph.frState = FR_ATOMIC;
    w.mm.futex.atomic = LONG_MAX;
    expect(run_atomic(futex_ref_get(w.k, w.t, w.fph))).toBe(true);
    expect(w.mm.futex.atomic).toBe(-(1n << 63n));
  });
});

describe("heap (KASAN)", () => {
  it("double-free: futex_hash_free of a hash that is also freed elsewhere (dup_mm sharing hash_new)", () => {
    const w = world();
    const pending = newHash(w, 32);
    w.mm.futex.hash_new = pending;
    kvfree(w.k, w.t, pending); // e.g. the child's copy of the pointer freed it first
    const f = finding(() => futex_hash_free(w.k, w.t, w.mm));
    expect(f.kind).toBe("double-free");
    expect(f.stack.at(-1)).toBe("futex_hash_free");
  });

  it("double-free: kvfree of an object pending kvfree_rcu", () => {
    const w = world();
    kvfree_rcu(w.k, w.t, w.fph);
    expect(finding(() => kvfree(w.k, w.t, w.fph)).kind).toBe("double-free");
  });

  it("use-after-free: futex_ref_get on a freed hash", () => {
    const w = world();
    kvfree(w.k, w.t, w.fph);
    const f = finding(() => run_atomic(futex_ref_get(w.k, w.t, w.fph)));
    expect(f.kind).toBe("use-after-free");
    expect(f.title).toContain("futex_ref_get");
  });

  it("use-after-free: futex_unqueue of a waiter left on a freed hash", () => {
    const w = world();
    const q = sleeper(w, w.fph);
    kvfree_rcu(w.k, w.t, w.fph);
    w.k.rcu.advance((cb) => cb.fn()); // the grace period ends: the hash is gone
    const f = finding(() => run_atomic(futex_unqueue(w.k, w.t, q)));
    expect(f.kind).toBe("use-after-free");
    expect(f.stack.at(-1)).toBe("futex_unqueue");
  });

  it("use-after-free: the per-CPU counter freed under a user (a child sharing the parent's futex_ref)", () => {
    const w = world();
    kvfree(w.k, w.t, w.mm.futex.ref);
    expect(finding(() => run_atomic(futex_ref_get(w.k, w.t, w.fph))).kind).toBe("use-after-free");
  });

  it("use-after-free: futex_ref_rcu on an mm freed before the callback (no mmget)", () => {
    const w = world();
    w.k.heap.free(w.mm, w.t);
    expect(finding(() => run_atomic(futex_ref_rcu(w.k, w.k.softirq, w.mm))).kind).toBe("use-after-free");
  });

  it("invalid-free: kvfree of memory the allocator never handed out", () => {
    const w = world();
    expect(finding(() => kvfree(w.k, w.t, new KObj("struct futex_private_hash", 64))).kind).toBe("invalid-free");
  });

  it("out-of-bounds: rehashing the 0-slot hash walks queues[0] of an empty array", () => {
    const w = world();
    const global = newHash(w, 0, true);
    const f = finding(() => run_atomic(futex_rehash_private(w.k, w.t, global, newHash(w, 16))));
    expect(f.kind).toBe("out-of-bounds");
    expect(f.stack.at(-1)).toBe("futex_rehash_private");
  });
});

describe("end of run", () => {
  it("leak: a private hash nobody freed", () => {
    const w = world();
    const s = new Scheduler(w.k, 1000, () => {});
    w.t.state = "exited";
    w.k.heap.free(w.mm.futex.ref!, w.k.softirq);
    w.k.heap.free(w.mm, w.k.softirq);
    const f = finding(() => w.k.hooks.tornDown(w.k, (t) => s.blockedLabel(t)));
    expect(f.kind).toBe("leak");
    expect(f.report).toContain("struct futex_private_hash");
  });

  it("leak: a per-CPU futex_ref allocated in mm_init and never freed (exec fail path)", () => {
    const w = world();
    const s = new Scheduler(w.k, 1000, () => {});
    w.t.state = "exited";
    w.k.heap.free(w.fph, w.k.softirq);
    w.k.heap.free(w.mm, w.k.softirq);
    const f = finding(() => w.k.hooks.tornDown(w.k, (t) => s.blockedLabel(t)));
    expect(f.kind).toBe("leak");
    expect(f.report).toContain("percpu");
  });

  it("lost-waiter: a waiter left on a replaced hash that no wake can reach", () => {
    const w = world();
    sleeper(w, w.fph);
    w.mm.futex.hash = newHash(w, 32); // published without rehashing the old one
    const f = finding(() => w.k.hooks.quiescent());
    expect(f.kind).toBe("lost-waiter");
  });

  it("lost-waiter: none while the replacement is merely pending (the waker's pivot moves it)", () => {
    const w = world();
    sleeper(w, w.fph);
    w.mm.futex.hash_new = newHash(w, 32);
    w.fph.frState = FR_ATOMIC;
    w.mm.futex.atomic = 0n; // dead
    w.k.hooks.quiescent();
  });

  it("hung-task: PR_FUTEX_HASH_SET_SLOTS waiting for a hash that can never die", () => {
    const w = world();
    const s = new Scheduler(w.k, 10_000, () => {});
    w.mm.futex.ref!.vals[1] = 1; // a leaked reference: the current hash never reaches 0
    w.t.state = "busy";
    w.t.gen = (function* () {
      return yield* futex_hash_allocate(w.k, w.t, 32, FH_CUSTOM);
    })();
    expect(s.complete(w.t)).toBe(false);
    expect(s.blockedLabel(w.t)).toContain("wait_woken");
    const f = finding(() => w.k.hooks.tornDown(w.k, (t) => s.blockedLabel(t)));
    expect(f.kind).toBe("hung-task");
    expect(f.stack).toContain("futex_hash_allocate");
  });
});

describe("warn (WARN_ON_ONCE of the real code)", () => {
  it("__futex_pivot_hash entered with hash_new still set", () => {
    const w = world();
    w.mm.futex.hash_new = newHash(w, 32);
    const f = finding(() => run_atomic(__futex_pivot_hash(w.k, w.t, w.mm, newHash(w, 64))));
    expect(f.kind).toBe("warn");
    expect(f.title).toContain("__futex_pivot_hash");
  });

  it("futex_ref_drop on a hash that is not the current one", () => {
    const w = world();
    const f = finding(() => run_atomic(futex_ref_drop(w.k, w.t, newHash(w, 32))));
    expect(f.kind).toBe("warn");
    expect(f.title).toContain("futex_ref_drop");
  });

  it("__futex_ref_atomic_begin with a non-zero atomic", () => {
    const w = world();
    w.mm.futex.atomic = 3n;
    w.k.rcu.advance(() => {}); // a grace period since publish: the drop begins at once
    const f = finding(() => run_atomic(futex_ref_drop(w.k, w.t, w.fph)));
    expect(f.kind).toBe("warn");
    expect(f.title).toContain("__futex_ref_atomic_begin");
  });

  it("futex_rehash_private meets a waiter whose lock_ptr is not its bucket", () => {
    const w = world();
    const q = sleeper(w, w.fph);
    q.lock_ptr = newHash(w, 2).bucketAt(0);
    const f = finding(() => run_atomic(futex_rehash_private(w.k, w.t, w.fph, newHash(w, 32))));
    expect(f.kind).toBe("warn");
  });
});
