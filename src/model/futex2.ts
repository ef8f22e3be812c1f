// Reference model: FUTEX_WAKE_OP and the futex2 calls (futex_wait/futex_wake/futex_requeue(2),
// futex_waitv(2), FUTEX2_NUMA).
//
// - FUTEX_WAKE_OP: *addr2 = op(old, oparg) (oparg and cmparg are 12-bit and sign-extended; shl:
//   1 << (oparg & 31)); wake max(nr_wake, 1) of addr, then, if cmp(old as int, cmparg) holds,
//   max(nr_wake2, 1) of addr2. An unknown op is -ENOSYS with nothing written; an unknown cmp is
//   -ENOSYS after the write.
// - futex2 flags: only u32 is implemented (u8, u16, u64: -EINVAL); no `private` = shared.
//   FUTEX2_NUMA: the futex is 8-byte aligned, its node word follows it; -1 (FUTEX_NO_NODE) is
//   replaced by the caller's node (written back), a node >= the node count is -EINVAL. A NUMA
//   key names its node: it meets only NUMA keys of the same node (the kernel compares no node
//   but keeps NUMA keys in the node's table, and a non-NUMA key in its own place: the private
//   hash, or a table picked by hash bits; the model keeps the two kinds apart).
// - futex_wake(2) wakes up to nr (0: none). futex_requeue(2) is FUTEX_CMP_REQUEUE on the first
//   two waitv entries (their flags must be equal, entry 0's val is the CMP value).
// - futex_waitv(2): 1..128 entries, each checked; the first entry whose word differs is -EAGAIN;
//   else the task sleeps on every key. Each wake takes one of its entries; when the task runs
//   it drops the others and returns the largest woken index. A missing entry reads as zeroes.
import type { Addr, EventOf } from "../program/types.js";
import { futexKey, type Key } from "./keys.js";
import { Unsupported } from "./errors.js";
import { EAGAIN, EINVAL, ENOSYS } from "../kernel/errno.js";
import { uval } from "./state.js";
import type { Model, MTask } from "./reference.js";

const OPS = ["set", "add", "or", "andn", "xor"];
const CMPS = ["eq", "ne", "lt", "le", "gt", "ge"];
const sext12 = (v: number): number => (v << 20) >> 20;

/** A waitv entry as the model keeps it (the array is the task's user memory). */
export interface MWaitv {
  addr: Addr;
  val: number;
  size: string;
  priv: boolean;
  numa: boolean;
}

export class Futex2Model {
  /** each task's struct futex_waitv array */
  private readonly arrays = new Map<MTask, MWaitv[]>();

  constructor(
    readonly m: Model,
    /** NUMA nodes of the machine */
    readonly nodes: number,
  ) {}

  /** The key of a futex2 futex, or -EINVAL / (node write-back happens here). */
  key(t: MTask, a: Addr, size: string, priv: boolean, numa: boolean): Key | number {
    if (size !== "u32") return EINVAL;
    if (!numa) return futexKey(t.proc.id, t.proc.space, a, !priv);
    if (a.off % 8 !== 0) return EINVAL;
    const sp = t.proc.space;
    const na: Addr = { region: a.region, off: a.off + 4 };
    const word = sp.read(na);
    let node = word;
    if (word === 0xffffffff) {
      if (this.nodes !== 1) throw new Unsupported("FUTEX_NO_NODE on more than one node (the CPU's node)");
      node = 0;
      sp.write(na, node);
    } else if (word >>> 0 >= this.nodes) return EINVAL;
    const k = futexKey(t.proc.id, sp, a, !priv);
    return typeof k === "number" ? k : `${k}/node${node}`;
  }

  /** FUTEX_WAKE_OP */
  wakeOp(t: MTask, e: EventOf<"futex_wake_op">["args"]): number {
    const sp = t.proc.space;
    const k1 = futexKey(t.proc.id, sp, e.addr, e.shared);
    if (typeof k1 === "number") return k1;
    const k2 = futexKey(t.proc.id, sp, e.addr2, e.shared);
    if (typeof k2 === "number") return k2;
    const op = OPS.indexOf(e.op);
    if (op < 0) return ENOSYS;
    let oparg = sext12(e.oparg);
    if (e.shl) oparg = (1 << (oparg & 31)) | 0;
    const old = sp.read(e.addr2);
    const nv = [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg][op]!;
    sp.write(e.addr2, nv >>> 0);
    const cmp = CMPS.indexOf(e.cmp);
    if (cmp < 0) return ENOSYS;
    const o = old | 0;
    const c = sext12(e.cmparg);
    const hit = [o === c, o !== c, o < c, o <= c, o > c, o >= c][cmp]!;
    let ret = this.m.waits.wake(k1, e.nr_wake);
    // a PI waiter on either key: -EINVAL (the waiters woken before it stay woken)
    if (hit && ret >= 0) {
      const r2 = this.m.waits.wake(k2, e.nr_wake2);
      ret = r2 < 0 ? r2 : ret + r2;
    }
    return ret;
  }

  /** futex_wait(2): returns the errno, or null when t went to sleep */
  wait(t: MTask, i: number, e: EventOf<"futex2_wait">["args"]): number | null {
    const key = this.key(t, e.addr, e.size, e.private, e.numa);
    if (typeof key === "number") return key;
    if (t.proc.space.read(e.addr) !== uval(e.value)) return EAGAIN;
    t.entry = i;
    this.m.waits.sleep(t, key);
    return null;
  }

  /** futex_wake(2) */
  wake(t: MTask, e: EventOf<"futex2_wake">["args"]): number {
    const key = this.key(t, e.addr, e.size, e.private, e.numa);
    if (typeof key === "number") return key;
    return e.nr_wake === 0 ? 0 : this.m.waits.wake(key, e.nr_wake);
  }

  entry(t: MTask, e: EventOf<"waitv_entry">["args"]): number {
    const arr = this.arrays.get(t) ?? [];
    arr.push({ addr: e.addr, val: uval(e.value), size: e.size, priv: e.private, numa: e.numa });
    this.arrays.set(t, arr);
    return 0;
  }

  /** the task's array, emptied (futex_waitv and futex2_requeue read it once) */
  private take(t: MTask): MWaitv[] {
    const arr = this.arrays.get(t) ?? [];
    this.arrays.delete(t);
    return arr;
  }

  /** futex_requeue(2): the CMP_REQUEUE of entries 0 and 1 */
  requeue(t: MTask, nrWake: number, nrRequeue: number): number {
    const [a, b] = this.take(t);
    if (!a || !b || a.size !== "u32" || b.size !== "u32") return EINVAL;
    if (a.priv !== b.priv || a.numa !== b.numa) return EINVAL;
    const k1 = this.key(t, a.addr, a.size, a.priv, a.numa);
    if (typeof k1 === "number") return k1;
    const k2 = this.key(t, b.addr, b.size, b.priv, b.numa);
    if (typeof k2 === "number") return k2;
    return this.m.waits.requeueKeys(t.proc.space.read(a.addr) === a.val, k1, k2, nrWake, nrRequeue);
  }

  /** futex_waitv(2): the errno or index it returns, or null when t went to sleep */
  waitv(t: MTask, i: number): number | null {
    const arr = this.take(t);
    if (arr.length === 0 || arr.length > 128) return EINVAL;
    if (arr.some((w) => w.size !== "u32")) return EINVAL;
    const keys: Key[] = [];
    for (const w of arr) {
      const k = this.key(t, w.addr, w.size, w.priv, w.numa);
      if (typeof k === "number") return k;
      keys.push(k);
    }
    if (arr.some((w) => t.proc.space.read(w.addr) !== w.val)) return EAGAIN;
    t.entry = i;
    keys.forEach((key, index) => this.m.queue.push({ task: t, key, index }));
    t.state = "waiting";
    return null;
  }
}
