// --target T for commands that read raw crash bytes: a crash file of a fuzz target decodes only
// with that target's event table (the byte of an event kind indexes the table).
import { targetEvents, TARGETS } from "../program/targets.js";
import type { EventKind } from "../program/events.js";
import { strFlag, UsageError, type Parsed } from "./args.js";

export const TARGET_FLAG_HELP = `  --target T    raw crash bytes come from fuzz target T (${TARGETS.join(" | ")}; default all):
                decode them with its event table (text programs ignore it)`;

/** targetEvents for a command line: an unknown target is a usage error (exit 2) */
export function targetTable(name: string): readonly EventKind[] {
  try {
    return targetEvents(name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function crashTable(a: Parsed): readonly EventKind[] {
  return targetTable(strFlag(a, "target") ?? "all");
}
