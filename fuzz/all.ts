// jazzer.js target: every event kind.  npx jazzer dist/fuzz/all.js --sync corpus/bytes/all
import { makeTarget } from "./target.js";
export const fuzz = makeTarget("all");
