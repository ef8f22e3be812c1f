import { describe, expect, it } from "vitest";
import { renderDiagram } from "../src/exec/diagram.js";
import { execute, type Verdict } from "../src/exec/executor.js";
import { parse } from "../src/program/text.js";

const P = parse("config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n");

describe("renderDiagram", () => {
  it("draws a column per CPU and marks the finding where it fired, with a KASAN-style report", () => {
    const v: Verdict = execute(P, { trace: true });
    const t1Cpu = v.trace.filter((e) => e.task === 1).at(-1)!.cpu;
    v.findings.push({
      kind: "use-after-free",
      title: "KASAN: slab-use-after-free in futex_unqueue",
      stack: ["futex_wait", "futex_unqueue"],
      event: 3,
      task: 1,
      report: "read of futex_private_hash #2 (64 bytes)\nallocated at event 1 by: copy_process\nfreed at event -2 by: __mmput",
    });
    const d = renderDiagram(P, v);
    const lines = d.split("\n");
    const mark = lines.find((l) => l.includes("*** use-after-free fires here (t1)"))!;
    expect(mark.indexOf("***")).toBe(t1Cpu === 0 ? 0 : lines[0]!.indexOf("CPU 1"));
    expect(d).toContain("BUG: KASAN: slab-use-after-free in futex_unqueue\nkind use-after-free, during [3] t0 futex_wake m0+0 1 on t1\nCall trace:\n  futex_unqueue\n  futex_wait\n");
    expect(d).toContain("allocated at event 1 (t0 spawn t1) by: copy_process\nfreed at event -2 (teardown) by: __mmput\n");
  });
});
