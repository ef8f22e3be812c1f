// jazzer.js target: the hash-resize target's event kinds.
import { makeTarget } from "./target.js";
export const fuzz = makeTarget("hash-resize");
