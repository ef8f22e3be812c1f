import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { EVENT_KINDS } from "../src/program/events.js";

describe("docs/format.md", () => {
  it("documents every event kind of the table", () => {
    const doc = readFileSync(new URL("../docs/format.md", import.meta.url), "utf8");
    for (const k of EVENT_KINDS) expect(doc, k.name).toMatch(new RegExp("`" + k.name + "[ `]"));
  });
});
