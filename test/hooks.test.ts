// The kernel's Hooks and the pieces around them: a kernel without sanitizers reports nothing,
// the sanitizers' word tags follow memory across fork, atomic code may not block, phases decode.
import { describe, expect, it } from "vitest";
import { Kernel } from "../src/kernel/kernel.js";
import { NoHooks, WordTag } from "../src/kernel/hooks.js";
import { KObj, kvfree } from "../src/kernel/alloc.js";
import { AddressSpace, Page, regionAddress } from "../src/kernel/memory.js";
import { PHASE, phaseOf } from "../src/kernel/phase.js";
import { Wait, run_atomic } from "../src/kernel/sched.js";
import { WordTags } from "../src/sanitizers/wordtags.js";
import { Sanitizers } from "../src/sanitizers/sanitizers.js";
import { Panic } from "../src/sanitizers/report.js";
import { execute } from "../src/exec/executor.js";
import { parse } from "../src/program/text.js";

describe("Hooks", () => {
  it("a kernel built without sanitizers watches nothing: a double free passes", () => {
    const k = new Kernel(1);
    expect(k.hooks).toBeInstanceOf(NoHooks);
    const o = k.heap.alloc(new KObj("struct x", 8), k.softirq)!;
    kvfree(k, k.softirq, o);
    expect(() => kvfree(k, k.softirq, o)).not.toThrow();
  });

  it("the same double free with the sanitizers is a KASAN report naming both stacks", () => {
    const k = new Kernel(1, { hooks: (k, observe) => new Sanitizers(k, observe) });
    const ctx = { id: -1, frames: ["futex_hash_free"], preemptCount: 0 };
    const o = k.heap.alloc(new KObj("struct x", 8), ctx)!;
    kvfree(k, ctx, o);
    try {
      kvfree(k, ctx, o);
      expect.unreachable();
    } catch (e) {
      if (!(e instanceof Panic)) throw e;
      const f = e.finding;
      expect(f.kind).toBe("double-free");
      expect(f.report).toContain("freed at event");
    }
  });

  it("the observer reaches Hooks.observe with or without sanitizers", () => {
    const sites: number[] = [];
    const observer = () => (site: number) => void sites.push(site);
    execute(parse("t0 mmap m0 anon\nt0 futex_wake m0+0 1\n"), { kernel: { observer } });
    expect(sites.length).toBeGreaterThan(0);
    const k = new Kernel(1, { observer });
    k.hooks.observe?.(7, null);
    expect(sites.at(-1)).toBe(7);
  });
});

describe("WordTags (the robust sanitizer's shadow of user memory)", () => {
  const addr = regionAddress(0) + 8;

  it("untagged words are their page's data; a user store un-tags list metadata", () => {
    const as = new AddressSpace();
    as.regions.set(0, { file: null, page: new Page(null) });
    const tags = new WordTags();
    expect(tags.tagOf(as, addr)).toEqual({ tag: WordTag.Plain, owner: 0, file: null });
    tags.set(as, addr, WordTag.RobustHead, 1001);
    expect(tags.tagOf(as, addr)?.tag).toBe(WordTag.RobustHead);
    tags.userStore(as, addr, 5);
    expect(tags.tagOf(as, addr)).toEqual({ tag: WordTag.Plain, owner: 0, file: null });
  });

  it("follow the page: a fork's copy keeps them, a remap drops them, a kernel write clears the owner", () => {
    const as = new AddressSpace();
    as.regions.set(0, { file: null, page: new Page(null) });
    const tags = new WordTags();
    tags.set(as, addr, WordTag.RobustMutex, 1001);
    const child = as.copy();
    tags.copied(as, child);
    expect(tags.tagOf(child, addr)).toEqual({ tag: WordTag.RobustMutex, owner: 1001, file: null });
    tags.kernelWrite(child, addr);
    expect(tags.tagOf(child, addr)?.owner).toBe(0);
    expect(tags.tagOf(as, addr)?.owner).toBe(1001);
    as.regions.set(0, { file: 3, page: new Page(3) });
    expect(tags.tagOf(as, addr)).toEqual({ tag: WordTag.FileData, owner: 0, file: 3 });
  });
});

describe("run_atomic and phases", () => {
  it("atomic code runs through its points but may not block", () => {
    expect(
      run_atomic(
        (function* () {
          yield "a";
          return 1;
        })(),
      ),
    ).toBe(1);
    const blocks = (function* () {
      yield new Wait("never", () => false, "spin");
    })();
    expect(() => run_atomic(blocks)).toThrow(/blocking in atomic context: never/);
  });

  it("event numbers below zero are the phases around the program", () => {
    expect(phaseOf(0)).toBeNull();
    expect(phaseOf(PHASE.boot)).toBe("boot");
    expect(phaseOf(PHASE.drain)).toBe("drain");
    expect(phaseOf(PHASE.teardown)).toBe("teardown");
  });
});
