// fast-check runs from one fixed seed by default, so CI is deterministic like the simulator;
// FC_SEED=<n> explores other programs, FC_SEED=random a fresh seed each run (printed on failure).
import fc from "fast-check";

const env = process.env.FC_SEED;
if (env !== "random") fc.configureGlobal({ seed: env === undefined ? 20261123 : Number(env) });
