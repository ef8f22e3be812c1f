// Bench only (scripts/bench/instrumentation.ts, variant "no-cmp-hooks"): the `all` target with
// the native half of jazzer.js's comparison hooks taken out. jazzer.js 4.0.0 has no option to turn
// its compareHooks plugin off: every comparison in instrumented code becomes
// `Fuzzer.tracer.traceNumberCmp(a, b, "===", id)` (or traceStrCmp / traceAndReturn), a JS
// function that compares and calls the addon (libFuzzer's __sanitizer_cov_trace_cmp*). Here the
// addon's three comparison entry points do nothing, so the difference to the default variant is
// what those native calls cost (the rewritten comparisons themselves remain).
import { createRequire } from "node:module";
import { makeTarget } from "../../fuzz/target.js";

const req = createRequire(createRequire(import.meta.url).resolve("@jazzer.js/core/package.json"));
const mod: { addon: Record<string, unknown> } = req("@jazzer.js/fuzzer/dist/addon.js");
for (const name of ["traceIntegerCompare", "traceUnequalStrings", "traceStringContainment"]) mod.addon[name] = () => {};

export const fuzz = makeTarget("all");
