import { describe, expect, it } from "vitest";
import { ddmin, removeOneByOne, shrinkInt } from "../src/minimize/ddmin.js";
import { minimize } from "../src/minimize/minimize.js";
import { minimizeFinding } from "../src/minimize/finding.js";
import { canonicalRename } from "../src/minimize/rename.js";
import { execute } from "../src/exec/executor.js";
import { parse, print, printAddr } from "../src/program/text.js";
import { FUTEX_OWNER_DIED, type Program } from "../src/program/types.js";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseBugs } from "../src/bugs/switches.js";
import { parseCorpusFile } from "../src/corpus/file.js";
import { listCorpusFiles } from "../src/corpus/walk.js";
import { signature } from "../src/sanitizers/report.js";

/** 40 events that have nothing to do with the behaviour under test. */
const PADDING = [
  "t0 mmap m5 anon",
  "t0 store m5+8 7",
  "t0 load m5+8",
  "gp",
  "t0 hash_get_slots",
  "t0 spawn t4",
  "t4 store m5+12 tid:t4|waiters",
  "t4 load m5+12",
  "cpu t4 1",
  "t4 futex_wake m5+100 3",
  "t0 mmap m6 file f3",
  "t4 store m6+0x20 0x1234",
  "gp",
  "t4 futex_wait m5+200 9",
  "t0 load m6+32",
];

function padded(essential: string[], n = 40): Program {
  const lines: string[] = [];
  let e = 0;
  for (let i = 0; i < n; i++) {
    lines.push(PADDING[i % PADDING.length]!);
    if (i % 9 === 4 && e < essential.length) lines.push(essential[e++]!);
  }
  lines.push(...essential.slice(e));
  return parse(lines.join("\n"));
}

/** Synthetic: a futex_wake on the address of an earlier futex_wait. */
function waitThenWake(p: Program): boolean {
  const waited = new Set<string>();
  for (const ev of p.events) {
    if (ev.op === "futex_wait") waited.add(printAddr(ev.args.addr));
    if (ev.op === "futex_wake" && waited.has(printAddr(ev.args.addr))) return true;
  }
  return false;
}

/** Real (runs the simulator): some futex_wait was woken and returned 0. */
function wokenWaiter(p: Program): boolean {
  return execute(p).syscalls.some((s) => s.event.startsWith("futex_wait ") && s.ret === 0);
}

const SYNTH = ["t2 futex_wait m3+40 tid:t2", "t0 futex_wake m3+40 7"];
const REAL = ["t0 mmap m3 anon", "t0 spawn t2", "t2 futex_wait m3+40 0", "t0 futex_wake m3+40 3"];

describe("ddmin helpers", () => {
  const has = (...need: number[]) => (xs: number[]) => need.every((n) => xs.includes(n));
  it("ddmin finds the two needed items of 100", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i);
    expect(ddmin(xs, has(17, 42))).toEqual([17, 42]);
    expect(ddmin(xs, () => true)).toEqual([]);
  });
  it("removeOneByOne is 1-minimal", () => {
    expect(removeOneByOne([5, 1, 7, 3], has(1, 3))).toEqual([1, 3]);
  });
  it("shrinkInt bisects toward the target", () => {
    expect(shrinkInt(1000, 0, (n) => n >= 37)).toBe(37);
    expect(shrinkInt(9, 1, () => false)).toBe(9);
  });
});

describe("minimize (synthetic predicate)", () => {
  const p = padded(SYNTH);
  it("pads to 42 events and keeps the 2 essential ones, simplified and renamed", () => {
    expect(p.events.length).toBe(42);
    expect(waitThenWake(p)).toBe(true);
    const r = minimize(p, waitThenWake);
    expect(r.exhausted).toBe(false);
    expect(print(r.program)).toBe("config cpus=1\nt0 futex_wait m0+0 0\nt0 futex_wake m0+0 0\n");
  });
});

describe("minimize (real predicate on the simulator)", () => {
  const p = padded(REAL);
  const r = minimize(p, wokenWaiter);
  it("shrinks 44 events back to the 4 essential ones", () => {
    expect(p.events.length).toBe(44);
    expect(wokenWaiter(p)).toBe(true);
    expect(r.exhausted).toBe(false);
    expect(r.program.events.length).toBe(4);
    expect(wokenWaiter(r.program)).toBe(true);
    expect(print(r.program)).toBe("config cpus=1\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 0\n");
  });

  it("is deterministic: same text, same execution count", () => {
    const again = minimize(parse(print(p)), wokenWaiter);
    expect(print(again.program)).toBe(print(r.program));
    expect(again.executions).toBe(r.executions);
  });

  it("is 1-minimal: removing any single event loses the behaviour", () => {
    r.program.events.forEach((_, i) => {
      const q = { cpus: r.program.cpus, events: r.program.events.filter((_, j) => j !== i) };
      expect(wokenWaiter(q), `without event ${i}`).toBe(false);
    });
  });

  it("never runs the same candidate text twice", () => {
    const texts: string[] = [];
    const counted = minimize(p, (q) => (texts.push(print(q)), wokenWaiter(q)));
    expect(texts.length).toBe(counted.executions);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it("respects the budget and says so", () => {
    const small = minimize(p, wokenWaiter, { budget: 10 });
    expect(small.executions).toBe(10);
    expect(small.exhausted).toBe(true);
    expect(wokenWaiter(small.program)).toBe(true);
  });
});

describe("minimize passes (synthetic predicates)", () => {
  it("lowers @k stops, step counts and CPUs only as far as the predicate allows", () => {
    const p = parse("config cpus=8\nt3 futex_wait m2+12 7 @40\ncpu t3 5\nstep t3 16\nt0 exit @9\ngp\n");
    const pred = (q: Program) =>
      q.cpus >= 3 &&
      q.events.some((e) => e.op === "futex_wait" && (e.stop ?? 0) >= 5) &&
      q.events.some((e) => e.op === "step" && e.args.points >= 2);
    const r = minimize(p, pred);
    expect(print(r.program)).toBe("config cpus=3\nt0 futex_wait m0+0 0 @5\nstep t0 2\n");
  });

  it("merges tasks only when the predicate allows, keeps two distinct ones otherwise", () => {
    const p = parse("t0 spawn t5\nt0 spawn t9\nt9 futex_wait m4+8 0\nt5 futex_wake m4+8 1\n");
    const twoTasks = (q: Program) => {
      const w = q.events.find((e) => e.op === "futex_wait");
      const k = q.events.find((e) => e.op === "futex_wake");
      return !!w && !!k && w.task !== k.task;
    };
    // t0 is the initial task and keeps its name; the others are numbered by first use
    expect(print(minimize(p, twoTasks).program)).toBe("config cpus=1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 0\n");
  });

  it("keeps coupled values together and drops tid flags it does not need", () => {
    const p = parse("t0 mmap m1 anon\nt0 store m1+20 0x1234\nt0 futex_wait m1+20 0x1234\nt0 store m1+24 tid:t0|waiters|died\n");
    const pred = (q: Program) => {
      const stored = q.events.flatMap((e) => (e.op === "store" ? [e.args.value] : []));
      const plain = stored.filter((v) => v.tid === undefined).map((v) => v.bits);
      const waited = q.events.flatMap((e) => (e.op === "futex_wait" ? [e.args.value.bits] : []));
      const died = stored.some((v) => v.tid !== undefined && v.bits & FUTEX_OWNER_DIED);
      return died && plain.some((b) => b > 4 && waited.includes(b));
    };
    expect(pred(p)).toBe(true);
    expect(print(minimize(p, pred).program)).toBe("config cpus=1\nt0 store m0+0 5\nt0 futex_wait m0+0 5\nt0 store m0+0 tid:t0|died\n");
  });
});

describe("canonical renaming", () => {
  it("t0 stays, then tasks, regions and files in order of first use", () => {
    const p = parse("t0 mmap m7 file f5\nt0 spawn t9\nt9 store m7+4 tid:t3\nt3 mmap m2 file f1\nt0 mmap m1 file f5\n");
    expect(print(canonicalRename(p))).toBe(
      "config cpus=2\nt0 mmap m0 file f0\nt0 spawn t1\nt1 store m0+4 tid:t2\nt2 mmap m1 file f1\nt0 mmap m2 file f0\n",
    );
  });
});

describe("minimizeFinding", () => {
  it("returns null for a program without a finding", () => {
    expect(minimizeFinding(parse("t0 mmap m0 anon\nt0 load m0+0\n"))).toBeNull();
  });
});

// Real findings: once bug switches and their regressions exist, re-minimize a few of them.
describe("minimizeFinding on corpus regressions", () => {
  const files = listCorpusFiles([fileURLToPath(new URL("../corpus/regressions", import.meta.url))]).slice(0, 3);
  it("has regressions to re-minimize", () => expect(files.length).toBeGreaterThan(0));
  for (const f of files)
    it(`keeps the signature of ${f.replace(/.*corpus\//, "corpus/")}, deterministically and 1-minimally`, () => {
      const file = parseCorpusFile(readFileSync(f, "utf8"), f);
      const bugs = parseBugs(file.bugs);
      const before = execute(file.program, { bugs }).findings[0];
      if (!before) return; // a regression that no longer fires is the replay test's failure
      const r = minimizeFinding(file.program, { bugs })!;
      expect(signature(r.finding)).toBe(signature(before));
      expect(r.program.events.length).toBeLessThanOrEqual(file.program.events.length);
      const again = minimizeFinding(file.program, { bugs })!;
      expect(print(again.program)).toBe(print(r.program));
      expect(again.executions).toBe(r.executions);
      if (!r.exhausted)
        r.program.events.forEach((_, i) => {
          const q = { cpus: r.program.cpus, events: r.program.events.filter((_, j) => j !== i) };
          expect(execute(q, { bugs }).findings.map(signature)[0], `without event ${i}`).not.toBe(signature(before));
        });
    });
});
