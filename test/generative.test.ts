// The generative engine's program source (src/fuzzing/generative.ts).
import { describe, expect, it } from "vitest";
import { TARGET_EVENTS } from "../src/program/targets.js";
import { StateFeedback } from "../src/fuzzing/state.js";
import { execute } from "../src/exec/executor.js";
import { GenerativeSource, MAX_BYTES, xorshift } from "../src/fuzzing/generative.js";
import { decode, encode } from "../src/program/codec.js";
import { LIMITS } from "../src/program/events.js";
import { parse, print } from "../src/program/text.js";

const BASE = parse("config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n");

function take(src: GenerativeSource, n: number): string[] {
  return Array.from({ length: n }, () => print(src.next()));
}

describe("GenerativeSource", () => {
  it("a seed replays: the same seed and pool give the same programs; another seed others", () => {
    const mk = (seed: number) => {
      const s = new GenerativeSource(TARGET_EVENTS.all!, seed);
      s.add(BASE);
      return take(s, 200);
    };
    expect(mk(3)).toEqual(mk(3));
    expect(mk(4)).not.toEqual(mk(3));
  });

  it("perturbs schedules only: the syscalls stay, in order; @k, step/run/cpu/gp and the CPU count change", () => {
    const s = new GenerativeSource(TARGET_EVENTS.all!, 1);
    const syscalls = (t: string) => t.split("\n").filter((l) => /^t\d+ /.test(l)).map((l) => l.replace(/ @\d+$/, ""));
    let changed = 0;
    for (let i = 0; i < 300; i++) {
      const p = s.perturb(BASE);
      const t = print(p);
      expect(syscalls(t)).toEqual(syscalls(print(BASE)));
      if (t !== print(BASE)) changed++;
      for (const ev of p.events) if (ev.stop !== undefined) expect(ev.stop).toBeLessThanOrEqual(LIMITS.stop);
    }
    expect(changed).toBeGreaterThan(250);
    expect(print(BASE)).toBe("config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n");
  });

  it("inserts and redraws the target's asynchronous events (irq, signal) as schedule perturbations", () => {
    const s = new GenerativeSource(TARGET_EVENTS["robust-unlock"]!, 3);
    const ops = new Set<string>();
    for (let i = 0; i < 400; i++) for (const ev of s.perturb(BASE).events) ops.add(ev.op);
    expect(ops).toContain("irq");
    expect(ops).toContain("signal");
    // hash-resize has neither: its perturbations never make them
    const h = new GenerativeSource(TARGET_EVENTS["hash-resize"]!, 3);
    for (let i = 0; i < 200; i++) for (const ev of h.perturb(BASE).events) expect(["irq", "signal"]).not.toContain(ev.op);
  });

  it("mutates events: splices, drops and redrawn arguments make other syscalls, every one a valid event, the same per seed", () => {
    const mk = (seed: number) => {
      const s = new GenerativeSource(TARGET_EVENTS.all!, seed);
      s.add(BASE);
      s.add(parse("t0 mmap m1 file f0\nt0 store m1+16 tid:t1\nt0 robust_init m1+0\n", "other"));
      return Array.from({ length: 200 }, () => print(s.mutate(BASE)));
    };
    const texts = mk(4);
    const syscalls = (t: string) => t.split("\n").filter((l) => /^t\d+ /.test(l)).map((l) => l.replace(/ @\d+$/, "")).join("\n");
    const base = syscalls(print(BASE));
    expect(texts.filter((t) => syscalls(t) !== base).length).toBeGreaterThan(150);
    // a spliced event from the other program shows up somewhere
    expect(texts.some((t) => t.includes("store m1+16 tid:t1"))).toBe(true);
    // every mutant parses back to itself (its events fit their kinds)
    for (const t of texts) expect(print(parse(t, "mutant"))).toBe(t);
    expect(mk(4)).toEqual(texts);
    expect(print(BASE)).toBe("config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n");
  });

  it("every program it makes survives the area's byte encoding (it is stored as a crash artifact)", () => {
    for (const area of Object.keys(TARGET_EVENTS)) {
      const s = new GenerativeSource(TARGET_EVENTS[area]!, 9);
      s.add(decode(encode(BASE.events.every((e) => TARGET_EVENTS[area]!.some((k) => k.name === e.op)) ? BASE : { cpus: 2, events: [] }, TARGET_EVENTS[area]!), TARGET_EVENTS[area]!));
      for (let i = 0; i < 150; i++) {
        const p = s.next();
        expect(print(decode(encode(p, TARGET_EVENTS[area]!), TARGET_EVENTS[area]!))).toBe(print(p));
      }
    }
  });

  it("makes long random programs: lengths log-uniform up to libFuzzer's max_len", () => {
    const s = new GenerativeSource(TARGET_EVENTS.all!, 5);
    const lens = Array.from({ length: 400 }, () => s.randomProgram().events.length);
    expect(Math.max(...lens)).toBeGreaterThan(100);
    expect(Math.min(...lens)).toBeLessThan(20);
    expect(MAX_BYTES).toBe(4096);
  });

  it("a program that reaches a state never seen joins the pool; one that reaches nothing new does not", () => {
    const s = new GenerativeSource(TARGET_EVENTS.all!, 2);
    const sf = new StateFeedback(null);
    execute(BASE, { kernel: { observer: sf.observer } });
    sf.flush();
    expect(sf.features.length).toBeGreaterThan(0);
    expect(s.feedback(BASE, sf.features)).toBe(true);
    expect(s.poolSize).toBe(1);
    expect(s.feedback(BASE, sf.features)).toBe(false);
    expect(s.poolSize).toBe(1);
    expect(s.features).toBe(new Set(sf.features).size);
  });

  it("xorshift: deterministic, never stuck at 0", () => {
    const a = xorshift(0);
    const b = xorshift(0);
    const xs = Array.from({ length: 10 }, () => a());
    expect(xs).toEqual(Array.from({ length: 10 }, () => b()));
    expect(xs.every((x) => x > 0)).toBe(true);
  });
});
