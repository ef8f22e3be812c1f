// KASAN and kmemleak: the heap sanitizers. Their shadow is where each object was allocated and
// freed (stack and program event); the allocator's own state says whether it is live. A free of
// an object that is not live is a double free, a free of one never allocated an invalid free, a
// touch of a freed object a use-after-free; an object still live after teardown is a leak.
import type { KObj } from "../kernel/alloc.js";
import type { Kernel } from "../kernel/kernel.js";
import type { LockOwner } from "../kernel/sched.js";
import { Panic, type Finding, type FindingKind } from "./report.js";

interface Shadow {
  allocStack: readonly string[];
  allocEvent: number;
  freeStack: readonly string[] | null;
  freeEvent: number;
}

export class Kasan {
  /** every object allocated, in allocation order, with its shadow */
  private readonly shadow = new Map<KObj, Shadow>();

  constructor(private readonly k: Kernel) {}

  alloc(obj: KObj, ctx: LockOwner): void {
    this.shadow.set(obj, { allocStack: [...ctx.frames], allocEvent: this.k.eventIndex, freeStack: null, freeEvent: -1 });
  }

  free(obj: KObj, ctx: LockOwner): void {
    const s = this.shadow.get(obj);
    if (!s) return this.bad("invalid-free", obj, ctx, null);
    if (obj.state !== "live") return this.bad("double-free", obj, ctx, null);
    s.freeStack = [...ctx.frames];
    s.freeEvent = this.k.eventIndex;
  }

  access(obj: KObj, what: string, ctx: LockOwner): void {
    if (obj.state === "freed") this.bad("use-after-free", obj, ctx, what);
  }

  /**
   * A sized access at a byte offset: outside [0, obj.size) is out of bounds (a global object,
   * never allocated, is reported as global-out-of-bounds, like KASAN's redzones around globals).
   */
  accessAt(obj: KObj, offset: number, size: number, what: string, ctx: LockOwner): void {
    this.access(obj, what, ctx);
    if (offset >= 0 && offset + size <= obj.size) return;
    const stack = [...ctx.frames];
    const where = stack.length ? stack[stack.length - 1]! : "unknown";
    const s = this.shadow.get(obj);
    const region = obj.hid === 0 ? "global" : "slab";
    const lines = [
      `${what}: read of size ${size} at offset ${offset} of ${obj.hid === 0 ? `the ${region} ${obj.type} (${obj.size} bytes)` : describeObj(obj)}`,
      offset < 0 ? `the access is ${-offset} bytes to the left of it` : `the access is ${offset + size - obj.size} bytes past its end`,
    ];
    if (s) lines.push(`allocated at event ${s.allocEvent} by: ${callers(s.allocStack) || "?"}`);
    const f: Finding = { kind: "out-of-bounds", title: `KASAN: ${region}-out-of-bounds in ${where}`, stack, event: this.k.eventIndex, report: lines.join("\n") };
    throw new Panic(f);
  }

  /** kmemleak after teardown: the first object still live, and how many more. */
  leaks(): { first: KObj; stack: readonly string[]; event: number; more: number } | null {
    let first: KObj | null = null;
    let more = 0;
    for (const o of this.shadow.keys()) {
      if (o.state === "freed") continue;
      if (first) more++;
      else first = o;
    }
    if (!first) return null;
    const s = this.shadow.get(first)!;
    return { first, stack: s.allocStack, event: s.allocEvent, more };
  }

  private bad(what: "double-free" | "invalid-free" | "use-after-free", obj: KObj, ctx: LockOwner, access: string | null): never {
    const stack = [...ctx.frames];
    const where = stack.length ? stack[stack.length - 1]! : "unknown";
    const s = this.shadow.get(obj);
    const lines = [
      `${access !== null ? `${access} of` : "free of"} ${describeObj(obj)}`,
      `allocated at event ${s ? s.allocEvent : -1} by: ${(s && callers(s.allocStack)) || "?"}`,
    ];
    if (s?.freeStack) lines.push(`freed at event ${s.freeEvent} by: ${callers(s.freeStack) || "?"}`);
    const kind: FindingKind = what;
    const title = `KASAN: ${what === "use-after-free" ? "slab-use-after-free" : what} in ${where}`;
    const f: Finding = { kind, title, stack, event: this.k.eventIndex, report: lines.join("\n") };
    throw new Panic(f);
  }
}

export function describeObj(o: KObj): string {
  return `${o.type} #${o.hid} (${o.size} bytes${o.percpu ? ", percpu" : ""})`;
}

/** A simulated stack (outermost first) as `innermost <- caller <- ...`, the way KASAN prints it. */
export function callers(stack: readonly string[]): string {
  return [...stack].reverse().join(" <- ");
}
