// --target T and --bugs for commands that read input files: raw crash bytes of a fuzz target
// decode only with that target's event table (the byte of an event kind indexes the table).
import { targetEvents, TARGETS } from "../program/targets.js";
import type { EventKind } from "../program/events.js";
import type { InputFlags } from "../corpus/input.js";
import { strFlag, UsageError, type Parsed } from "./args.js";
import { parseBugs } from "../bugs/switches.js";

export const TARGET_FLAG_HELP = `  --target T    raw crash bytes come from fuzz target T (${TARGETS.join(" | ")}): decode
                them with its event table. Default: the target the artifact's path names
                (WORK/<target>/artifacts/...), else its sidecar <FILE>.json, else all.
                Text programs ignore it.`;

/** targetEvents for a command line: an unknown target is a usage error (exit 2) */
export function targetTable(name: string): readonly EventKind[] {
  try {
    return targetEvents(name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** --bugs and --target as given (validated), for resolveInput */
export function inputFlags(a: Parsed): InputFlags {
  const target = strFlag(a, "target");
  if (a.flags.has("target") && !target) throw new UsageError("--target needs a target name");
  if (target !== undefined) targetTable(target);
  const out: InputFlags = {};
  if (target !== undefined) out.target = target;
  const bugs = a.flags.get("bugs");
  if (bugs !== undefined) out.bugs = typeof bugs === "string" ? bugs : "";
  if (out.bugs !== undefined) parseBugs(out.bugs); // an unknown switch is a usage error before any file is read
  return out;
}
