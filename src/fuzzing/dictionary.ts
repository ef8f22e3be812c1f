// The event dictionary: libFuzzer mutates bytes, and our programs are a stream of variable-length
// events, so a byte insertion almost never adds a whole event; it shifts every event after it.
// A libFuzzer dictionary (-dict) whose words are whole encoded events turns "insert a dictionary
// word" into "insert an event" (and "overwrite with a word" into "replace an event" when it
// lands on a boundary), the program-level mutation a syscall fuzzer wants.
//
// The words are the events (and pairs of consecutive events, e.g. `step t1 1` + `gp`) of the
// programs a campaign is seeded with, encoded in their program's context: operands are indices
// into the names used so far (codec.ts), so a word stays meaningful wherever it is spliced in.
// Only the campaign's own seeds are used: with bug switches on, a seed that already fires is
// left out of the corpus and out of the dictionary alike.
import { writeFileSync } from "node:fs";
import { encodeEvents } from "../program/codec.js";
import type { EventKind } from "../program/events.js";
import type { Program } from "../program/types.js";

/** libFuzzer ignores dictionary words longer than this (MutationDispatcher's kMaxDictSize) */
export const MAX_WORD = 64;

/** The distinct words (single events, then consecutive pairs), in first-seen order. */
export function eventDictionary(programs: readonly Program[], table: readonly EventKind[]): Uint8Array[] {
  const seen = new Set<string>();
  const singles: Uint8Array[] = [];
  const pairs: Uint8Array[] = [];
  const add = (list: Uint8Array[], bytes: number[]) => {
    if (bytes.length === 0 || bytes.length > MAX_WORD) return;
    const key = bytes.join(",");
    if (seen.has(key)) return;
    seen.add(key);
    list.push(Uint8Array.from(bytes));
  };
  for (const p of programs) {
    const chunks = encodeEvents(p, table);
    chunks.forEach((c, i) => {
      add(singles, c);
      if (i > 0) add(pairs, [...chunks[i - 1]!, ...c]);
    });
  }
  return [...singles, ...pairs];
}

/** libFuzzer's dictionary file format: one "\xNN..." word per line. */
export function formatDictionary(words: readonly Uint8Array[]): string {
  const lines = ["# futex-fuzz event dictionary: encoded events of the seed programs (src/fuzzing/dictionary.ts)"];
  for (const w of words) lines.push(`"${Array.from(w, (b) => "\\x" + b.toString(16).padStart(2, "0")).join("")}"`);
  return lines.join("\n") + "\n";
}

export function writeDictionary(file: string, programs: readonly Program[], table: readonly EventKind[]): number {
  const words = eventDictionary(programs, table);
  writeFileSync(file, formatDictionary(words));
  return words.length;
}
