// jazzer.js target: the fork-lifecycle area's event kinds.
import { makeTarget } from "./target.js";
export const fuzz = makeTarget("fork-lifecycle");
