#!/usr/bin/env node
// futex-fuzz command line: runs the compiled CLI (npm run build first).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const main = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("futex-fuzz: not built yet; run `npm run build` first\n");
  process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
