// The generative engine's remap-under-a-live-futex-word mutation (src/fuzzing/remap.ts) and its
// interrupt-a-stopped-syscall perturbation (src/fuzzing/generative.ts).
import { describe, expect, it } from "vitest";
import { TARGET_EVENTS } from "../src/program/targets.js";
import { GenerativeSource, xorshift } from "../src/fuzzing/generative.js";
import { remapUnder } from "../src/fuzzing/remap.js";
import { decode, encode } from "../src/program/codec.js";
import { parse, print } from "../src/program/text.js";
import type { Program } from "../src/program/types.js";

const BASE_TEXT = [
  "config cpus=2",
  "t0 mmap m0 anon",
  "t0 mmap m1 anon",
  "t0 spawn t1",
  "t1 robust_init m1+0",
  "t1 robust_lock m0+16",
  "t1 robust_unlock m0+16",
  "t0 load m0+16",
  "",
].join("\n");
const BASE = parse(BASE_TEXT, "base");
const TABLE = TARGET_EVENTS["robust-unlock"]!;

function copy(p: Program): Program {
  return { ...p, events: p.events.map((e) => ({ ...e })) };
}

function remapped(seed: number): string {
  const r = xorshift(seed);
  const p = copy(BASE);
  expect(remapUnder(p, (n) => r() % n, 256)).toBe(true);
  return print(p);
}

describe("remapUnder", () => {
  it("adds a file page the program writes early and maps it under a futex word later; every result round-trips", () => {
    const texts = Array.from({ length: 300 }, (_, i) => remapped(i + 1));
    const baseLines = BASE_TEXT.split("\n");
    for (const t of texts) {
      expect(print(parse(t, "mutant"))).toBe(t);
      const p = parse(t, "mutant");
      expect(print(decode(encode(p, TABLE), TABLE))).toBe(t);
      const lines = t.split("\n");
      expect(lines.length).toBe(baseLines.length + 3);
      // the base's lines stay, in order
      expect(lines.filter((l) => baseLines.includes(l))).toEqual(baseLines);
      // early: t0 maps a region the base does not name onto a file and stores to it at a futex word's offset
      const early = lines.findIndex((l) => /^t0 mmap m([2-9]|1\d) file f\d$/.test(l));
      expect(early).toBeGreaterThan(0);
      const [, y, f] = /^t0 mmap m(\d+) file (f\d)$/.exec(lines[early]!)!;
      expect(lines[early + 1]).toMatch(new RegExp(`^t0 store m${y}\\+(0|16) \\S+$`));
      // later: the futex word's own region is remapped onto the same file, after the word's first use
      const late = lines.findIndex((l) => new RegExp(`^t\\d+ mmap m[01] file ${f}$`).test(l));
      const region = /mmap (m[01]) /.exec(lines[late]!)![1]!;
      const off = /store m\d+\+(\d+)/.exec(lines[early + 1]!)![1];
      const first = lines.findIndex((l) => l.includes(`${region}+${off}`) && !l.includes(" store m"));
      expect(first).toBeGreaterThan(early + 1);
      expect(late).toBeGreaterThan(first);
    }
    // among the draws: the word's owner's TID in the file, remapped right after the unlock by the other task
    expect(texts.some((t) => t.includes("t0 store m2+16 tid:t1\n") && t.includes("t1 robust_unlock m0+16\nt0 mmap m0 file"))).toBe(true);
    // and the same PRNG seed gives the same program
    expect(remapped(7)).toBe(remapped(7));
    expect(print(BASE)).toBe(BASE_TEXT);
  });

  it("declines a program without a word to remap, without a free region, or without room", () => {
    const r = xorshift(1);
    const below = (n: number) => r() % n;
    expect(remapUnder(parse("t0 mmap m0 anon\nt0 spawn t1\n", "none"), below, 256)).toBe(false);
    const full = parse(Array.from({ length: 16 }, (_, i) => `t0 mmap m${i} anon\n`).join("") + "t0 futex_wake m0+0 1\n", "full");
    expect(remapUnder(full, below, 256)).toBe(false);
    const p = copy(BASE);
    expect(remapUnder(p, below, p.events.length + 2)).toBe(false);
    expect(print(p)).toBe(BASE_TEXT);
  });

  it("the engine's mutations include it, and its perturbations interrupt a stopped syscall's task in its window", () => {
    const s = new GenerativeSource(TABLE, 5);
    s.add(BASE);
    const mutants = Array.from({ length: 400 }, () => print(s.mutate(BASE)));
    expect(mutants.some((t) => /\nt0 mmap m2 file f\d\nt0 store m2\+\d+ /.test(t) && /\nt\d+ mmap m[01] file f\d\n/.test(t))).toBe(true);
    const perturbed = Array.from({ length: 400 }, () => print(s.perturb(BASE)));
    // a syscall stopped at @k, its task's irq or signal right after it
    expect(perturbed.some((t) => /\n(t\d+) [a-z_]+ [^\n]* @\d+\n(irq|signal) \1 /.test(t))).toBe(true);
    for (const t of [...mutants, ...perturbed]) expect(print(parse(t, "mutant"))).toBe(t);
  });
});
