// A small, strict argument parser shared by every command: unknown flags are usage errors.
import { existsSync, statSync } from "node:fs";

export class UsageError extends Error {}

export interface FlagSpec {
  /** takes a value (--time 30) or is a switch (--json) */
  value: boolean;
}

export interface Parsed {
  flags: Map<string, string | true>;
  positional: string[];
}

export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>, aliases: Record<string, string> = {}): Parsed {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (aliases[a]) a = aliases[a]!;
    if (!a.startsWith("--") || a === "--") {
      positional.push(a);
      continue;
    }
    let name = a.slice(2);
    let val: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      val = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (s.value) {
      if (val === undefined) {
        val = argv[++i];
        if (val === undefined) throw new UsageError(`--${name} needs a value`);
      }
      flags.set(name, val);
    } else {
      if (val !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    }
  }
  return { flags, positional };
}

export function intFlag(p: Parsed, name: string, dflt: number, min = 0): number {
  const v = p.flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs an integer >= ${min}, got '${v}'`);
  return n;
}

export function strFlag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

/** a directory option (--to, --work-dir, --regressions) that names an existing file is an input error */
export function notAFile(dir: string | undefined): void {
  if (dir !== undefined && existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${dir}: ENOTDIR (not a directory)`);
}
