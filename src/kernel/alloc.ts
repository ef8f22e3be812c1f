// The simulated allocator: kvzalloc / kvfree / kvfree_rcu / alloc_percpu with object states, so
// the heap sanitizer (KASAN-like) and the leak sanitizer (kmemleak-like) can read them.

export type ObjState = "live" | "rcu-pending" | "freed";

/** Header of every simulated heap object. Kernel structures extend it. */
export class KObj {
  hid = 0;
  state: ObjState = "live";
  allocStack: string[] = [];
  freeStack: string[] | null = null;
  allocEvent = -1;
  freeEvent = -1;
  constructor(
    /** the C type, e.g. `struct futex_private_hash` */
    readonly type: string,
    /** bytes, for the report */
    readonly size: number,
    /** allocated with alloc_percpu */
    readonly percpu = false,
  ) {}
}

export interface AllocSite {
  /** the simulated stack of the caller (copied) */
  stack: readonly string[];
  event: number;
}

export type HeapEvent =
  | { what: "double-free" | "invalid-free"; obj: KObj; site: AllocSite }
  | { what: "use-after-free"; obj: KObj; site: AllocSite; access: string };

export class Heap {
  private next = 1;
  /** every object ever allocated, in allocation order (the leak sanitizer walks it) */
  readonly objects: KObj[] = [];
  /** fault injection: fail the nth allocation from now (0 = off) */
  failNth = 0;

  constructor(private readonly onBad: (e: HeapEvent) => never) {}

  /** Returns null when fault injection says this allocation fails (-ENOMEM paths). */
  alloc<T extends KObj>(obj: T, site: AllocSite): T | null {
    if (this.failNth > 0 && --this.failNth === 0) return null;
    obj.hid = this.next++;
    obj.allocStack = [...site.stack];
    obj.allocEvent = site.event;
    this.objects.push(obj);
    return obj;
  }

  free(obj: KObj, site: AllocSite): void {
    if (obj.hid === 0) this.onBad({ what: "invalid-free", obj, site });
    if (obj.state !== "live") this.onBad({ what: "double-free", obj, site });
    obj.state = "freed";
    obj.freeStack = [...site.stack];
    obj.freeEvent = site.event;
  }

  /** kvfree_rcu: the object stays readable until a grace period passes; then `free`. */
  freeRcu(obj: KObj, site: AllocSite): void {
    if (obj.hid === 0) this.onBad({ what: "invalid-free", obj, site });
    if (obj.state !== "live") this.onBad({ what: "double-free", obj, site });
    obj.state = "rcu-pending";
    obj.freeStack = [...site.stack];
    obj.freeEvent = site.event;
  }

  /** Completes a kvfree_rcu after its grace period. */
  rcuFreeDone(obj: KObj): void {
    obj.state = "freed";
  }

  /** KASAN check at an access site. */
  check(obj: KObj, access: string, site: AllocSite): void {
    if (obj.state === "freed") this.onBad({ what: "use-after-free", obj, site, access });
  }

  live(): KObj[] {
    return this.objects.filter((o) => o.state !== "freed");
  }
}

/** What kvfree / kvfree_rcu need from the machine (the Kernel satisfies it). */
export interface FreeContext {
  readonly heap: Heap;
  readonly rcu: { call(label: string, fn: () => void): void };
  site(ctx: { frames: string[] } | null): AllocSite;
}

/** kvfree(): immediate free; NULL is a no-op. */
export function kvfree(k: FreeContext, ctx: { frames: string[] }, obj: KObj | null): void {
  if (obj) k.heap.free(obj, k.site(ctx));
}

/** kvfree_rcu(): free after a grace period; the object stays readable by RCU readers until then. */
export function kvfree_rcu(k: FreeContext, ctx: { frames: string[] }, obj: KObj | null): void {
  if (!obj) return;
  k.heap.freeRcu(obj, k.site(ctx));
  k.rcu.call("kvfree_rcu", () => k.heap.rcuFreeDone(obj));
}
