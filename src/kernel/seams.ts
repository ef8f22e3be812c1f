// Seams: the few places where a historical code path can replace the v7.2 one. The kernel is
// built with one Seams object and calls through it; it never sees bug ids. src/bugs/registry.ts
// maps each bug switch to the alternative it installs at exactly one seam.
import { futex_fixup_robust_unlock, type RobustUnlockFixup } from "./futex/robust_unlock.js";

export interface Seams {
  /** exit_to_user_mode: clear list_op_pending of an interrupted robust unlock (7010c39d) */
  robustUnlockFixup: RobustUnlockFixup;
}

/** The fixed kernel (Linux v7.2). */
export const V7_2: Seams = {
  robustUnlockFixup: futex_fixup_robust_unlock,
};
