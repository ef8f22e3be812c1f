// fast-check arbitraries for programs: they live in scripts/bench/arb.ts (the time-to-bug
// benchmark generates programs with them too).
export * from "../scripts/bench/arb.js";
