// --target T for commands that read raw crash bytes: a crash file of an area target decodes only
// with that target's event table (the byte of an event kind indexes the table).
import { AREAS } from "../../fuzz/target.js";
import type { EventKind } from "../program/table.js";
import { strFlag, UsageError, type Parsed } from "./args.js";

export const TARGET_FLAG_HELP = `  --target T    raw crash bytes come from fuzz target T (${Object.keys(AREAS).join(" | ")}; default all):
                decode them with its event table (text programs ignore it)`;

export function crashTable(a: Parsed): readonly EventKind[] {
  const t = strFlag(a, "target") ?? "all";
  const table = AREAS[t];
  if (!table) throw new UsageError(`unknown target '${t}' (known: ${Object.keys(AREAS).join(", ")})`);
  return table;
}
