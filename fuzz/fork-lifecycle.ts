// jazzer.js target: the fork-lifecycle target's event kinds.
import { makeTarget } from "./target.js";
export const fuzz = makeTarget("fork-lifecycle");
