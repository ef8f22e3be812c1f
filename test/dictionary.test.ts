// The event dictionary (src/fuzzing/dictionary.ts) and the codec's per-event chunks under it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TARGET_EVENTS } from "../src/program/targets.js";
import { eventDictionary, formatDictionary, MAX_WORD } from "../src/fuzzing/dictionary.js";
import { jazzerArgv } from "../src/fuzzing/jazzer.js";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";
import { inTarget } from "../src/fuzzing/seeds.js";
import { decode, encode, encodeEvents } from "../src/program/codec.js";
import { parse } from "../src/program/text.js";
import type { Program } from "../src/program/types.js";

const seeds: Program[] = readdirSync(join(PROJECT_ROOT, "corpus", "seeds"))
  .filter((n) => n.endsWith(".fz"))
  .sort()
  .map((n) => parse(readFileSync(join(PROJECT_ROOT, "corpus", "seeds", n), "utf8")));

describe("encodeEvents", () => {
  it("cuts encode() at event boundaries: the chunks after the cpus byte are the whole encoding", () => {
    for (const p of seeds) {
      const all = encode(p);
      expect([all[0]!, ...encodeEvents(p).flat()]).toEqual([...all]);
      expect(encodeEvents(p)).toHaveLength(p.events.length);
    }
  });
});

describe("eventDictionary", () => {
  const table = TARGET_EVENTS["robust-unlock"]!;
  const programs = seeds.filter((p) => inTarget(p, table));
  const words = eventDictionary(programs, table);

  it("holds distinct words no longer than libFuzzer accepts, single events first", () => {
    expect(words.length).toBeGreaterThan(20);
    const keys = words.map((w) => Array.from(w).join(","));
    expect(new Set(keys).size).toBe(keys.length);
    for (const w of words) expect(w.length).toBeLessThanOrEqual(MAX_WORD);
    const firstPair = words.findIndex((w) => decode(Uint8Array.from([0, ...w]), table).events.length === 2);
    expect(firstPair).toBeGreaterThan(0);
    for (const w of words.slice(0, firstPair)) expect(decode(Uint8Array.from([0, ...w]), table).events).toHaveLength(1);
  });

  it("a word inserted at an event boundary adds that event and keeps the events before it", () => {
    const p = parse("config cpus=2\nt0 mmap m0 anon\nt0 mmap m1 anon\nt0 spawn t1\nt1 robust_init m1+0\nt1 robust_lock m0+16\nt1 robust_unlock m0+16 @3\nirq t1 3 kill\n");
    const store = eventDictionary([parse("t0 mmap m0 anon\nt0 spawn t1\nt0 store m0+16 tid:t1\n")], table)[2]!;
    const bytes = encode(p, table);
    const cut = 1 + encodeEvents(p, table).slice(0, 6).flat().length; // after the robust_unlock
    const spliced = decode(Uint8Array.from([...bytes.slice(0, cut), ...store, ...bytes.slice(cut)]), table);
    expect(spliced.events.slice(0, 6)).toEqual(p.events.slice(0, 6));
    expect(spliced.events[6]).toEqual({ op: "store", task: 0, args: { addr: { region: 0, off: 16 }, value: { tid: 1, bits: 0 } } });
    expect(spliced.events[7]).toEqual(p.events[6]);
  });

  it("is written in libFuzzer's -dict format and passed as -dict", () => {
    const text = formatDictionary(words.slice(0, 3));
    const lines = text.trim().split("\n");
    expect(lines[0]).toMatch(/^#/);
    for (const l of lines.slice(1)) expect(l).toMatch(/^"(\\x[0-9a-f]{2})+"$/);
    const argv = jazzerArgv({ target: "/t.js", corpus: ["/c"], artifacts: "/a", seed: 1, dict: "/w/events.dict" });
    expect(argv).toContain("-dict=/w/events.dict");
  });
});
