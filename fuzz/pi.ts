// jazzer.js target: the pi target's event kinds (PI futexes, requeue-PI).
import { makeTarget } from "./target.js";
export const fuzz = makeTarget("pi");
