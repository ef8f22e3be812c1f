// jazzer.js target: the hash-resize area's event kinds.
import { makeTarget } from "./target.js";
export const fuzz = makeTarget("hash-resize");
