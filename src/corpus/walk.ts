// Finding corpus files: every `.fz` under some directories, recursively, in a fixed order.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** `.fz` files under each path (a file path is taken as is), sorted; dot-entries are skipped. */
export function listCorpusFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isFile()) {
      if (p.endsWith(".fz")) out.push(p);
      return;
    }
    if (!st.isDirectory()) return;
    for (const name of readdirSync(p).sort()) if (!name.startsWith(".")) walk(join(p, name));
  };
  for (const p of paths) {
    try {
      if (statSync(p).isFile()) {
        out.push(p);
        continue;
      }
    } catch {
      continue;
    }
    walk(p);
  }
  return out;
}

/** Every regular file under a directory (crash intake: fuzzer outputs have no extension). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = statSync(p);
    if (st.isFile()) out.push(p);
    else if (st.isDirectory()) for (const name of readdirSync(p).sort()) if (!name.startsWith(".")) walk(join(p, name));
  };
  walk(dir);
  return out;
}
