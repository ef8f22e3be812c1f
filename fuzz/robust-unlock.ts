// jazzer.js target: the robust-unlock target's event kinds.
import { makeTarget } from "./target.js";
export const fuzz = makeTarget("robust-unlock");
