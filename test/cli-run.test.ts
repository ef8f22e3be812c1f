import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { encode } from "../src/program/codec.js";
import { parse } from "../src/program/text.js";

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), "ff-cli-"));
const file = (name: string, data: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};
const WAITWAKE = "config cpus=2\nt0 mmap m0 anon\nt0 spawn t1\nt1 futex_wait m0+0 0\nt0 futex_wake m0+0 1\n";

describe("futex-fuzz run", () => {
  it("prints each syscall's return value and exits 0 when clean", async () => {
    const r = await cli("run", file("ww.fz", WAITWAKE));
    expect(r.code).toBe(0);
    expect(r.out).toContain("t1 futex_wait m0+0 0 = 0\n");
    expect(r.out).toContain("t0 futex_wake m0+0 1 = 1\n");
    expect(r.out).toContain("clean");
  });

  it("--json prints one object with findings and syscalls in order", async () => {
    const r = await cli("run", file("ww.fz", WAITWAKE), "--json");
    const o = JSON.parse(r.out);
    expect(Object.keys(o)).toEqual(["findings", "syscalls"]);
    expect(o.syscalls[2]).toEqual({ task: 1, event: "futex_wait m0+0 0", ret: 0 });
  });

  it("--trace draws one column per CPU", async () => {
    const r = await cli("run", file("ww.fz", WAITWAKE), "--trace");
    expect(r.out.split("\n")[0]).toMatch(/^CPU 0\s+\| CPU 1$/);
    expect(r.out).toMatch(/\| t1: futex_hash: rcu_read_lock/);
  });

  it("runs raw fuzzer bytes through the decoder", async () => {
    const r = await cli("run", file("crash-1", encode(parse(WAITWAKE))));
    expect(r.code).toBe(0);
    expect(r.out).toContain("t0 futex_wake m0+0 1 = 1");
  });

  it("exits 2 naming the file, line and column of a syntax error", async () => {
    const p = file("bad.fz", "t0 mmap m0 anon\nt0 futex_wait m0+0 zz\n");
    const r = await cli("run", p);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${p}:2:20: expected u32 value`);
  });

  it("exits 2 on a missing file, a binary .fz, unknown options and unknown bug switches", async () => {
    expect((await cli("run", join(dir, "nope.fz"))).err).toContain("cannot read: ENOENT");
    expect((await cli("run", file("bin.fz", new Uint8Array([0, 1, 2])))).err).toContain("binary data");
    expect((await cli("run", "--frob", "x")).code).toBe(2);
    const b = await cli("run", file("ww.fz", WAITWAKE), "--bugs", "no-such-bug");
    expect(b.code).toBe(2);
    expect(b.err).toContain("unknown bug switch 'no-such-bug'");
  });

  it("has --help, and the top level lists commands", async () => {
    expect((await cli("run", "--help")).out).toContain("usage: futex-fuzz run FILE");
    const top = await cli("--help");
    expect(top.code).toBe(0);
    expect(top.out).toContain("run ");
    expect((await cli("frob")).code).toBe(2);
  });
});
