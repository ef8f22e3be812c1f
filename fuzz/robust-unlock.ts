// jazzer.js target: the robust-unlock area's event kinds.
import { makeTarget } from "./target.js";
export const fuzz = makeTarget("robust-unlock");
