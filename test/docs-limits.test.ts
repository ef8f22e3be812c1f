// The limits docs/format.md and `futex-fuzz --help` state are the ones the code enforces.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_BUDGET } from "../src/exec/executor.js";
import { MAX_PROGRAM_FILE } from "../src/program/load.js";
import { LIMITS } from "../src/program/events.js";
import { usage } from "../src/cli/main.js";

describe("documented limits", () => {
  const doc = readFileSync(new URL("../docs/format.md", import.meta.url), "utf8");
  const help = usage();
  it("docs/format.md states each enforced limit", () => {
    expect(doc).toContain(`| tasks per program | ${LIMITS.tasks} (\`t0\`..\`t${LIMITS.tasks - 1}\`)`);
    expect(doc).toContain(`| regions per program | ${LIMITS.regions} (\`m0\`..\`m${LIMITS.regions - 1}\`)`);
    expect(doc).toContain(`| files per program | ${LIMITS.files} (\`f0\`..\`f${LIMITS.files - 1}\`)`);
    expect(doc).toContain(`| CPUs | 1..${LIMITS.cpus} `);
    expect(LIMITS.stop).toBe(LIMITS.step);
    expect(doc).toContain(`| 0..${LIMITS.stop} |`);
    expect(doc).toContain(`${MAX_PROGRAM_FILE.toLocaleString("en-US")} bytes`);
    expect(doc).toContain(`| events decoded from raw bytes | ${LIMITS.decodeEvents} |`);
    expect(doc).toContain(`| ${DEFAULT_BUDGET.toLocaleString("en-US")} | **no verdict**`);
  });
  it("--help states them too", () => {
    expect(help).toContain(`${LIMITS.tasks} tasks (t0..t${LIMITS.tasks - 1}), ${LIMITS.regions} regions (m0..m${LIMITS.regions - 1}), ${LIMITS.files} files, ${LIMITS.cpus} CPUs`);
    expect(help).toContain(`counts up to ${LIMITS.stop}`);
    expect(help).toContain(`at most ${LIMITS.decodeEvents} events`);
    expect(help).toContain(`${DEFAULT_BUDGET.toLocaleString("en-US")} preemption points`);
    expect(MAX_PROGRAM_FILE).toBe(1 << 20);
    expect(help).toContain("program files up to 1 MiB");
  });
});
