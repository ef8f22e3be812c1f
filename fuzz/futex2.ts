// jazzer.js target: the futex2 target's event kinds (FUTEX_WAKE_OP, futex2, futex_waitv, NUMA).
import { makeTarget } from "./target.js";
export const fuzz = makeTarget("futex2");
