// The vDSO as far as robust futexes care: where __vdso_futex_robust_list32_try_unlock lives and
// the user instruction addresses of the robust unlock sequence (DESIGN §4, instructions 1..5).
//
// Every mm maps the vDSO at the same address (no ASLR in the simulator). `Mm.unlockRange` holds
// the start IP of the try_unlock critical section (`futex_unlock_cs_range.start_ip`; its length is
// UNLOCK_CS_LEN, the pop is 32-bit). 0 means "no valid range" (the kernel writes ~0 there): a fresh
// mm (mm_alloc) has none until the vDSO is mapped at exec / boot; dup_mm (fork) keeps the parent's.
import type { Mm } from "./mm.js";

/** glibc's unlock code (outside the vDSO) */
const GLIBC_UNLOCK = 0x7f000000;
/** __vdso_futex_robust_list32_try_unlock */
const VDSO_TRY_UNLOCK = 0x7fff0100;

/** x86 shape: `lock cmpxchg` · .Lstart: `jnz .Lend` · .Lsuccess: `mov 0,(pop)` · .Lend: `ret` */
export const UNLOCK_CS_START = VDSO_TRY_UNLOCK + 4;
export const UNLOCK_CS_LEN = 4;

/** The address of user instruction n of the robust unlock (the IP before it runs). */
export const UNLOCK_IP: Readonly<Record<1 | 2 | 3 | 4 | 5, number>> = {
  1: GLIBC_UNLOCK, // list_op_pending = &mutex->list
  2: GLIBC_UNLOCK + 4, // list remove
  3: VDSO_TRY_UNLOCK, // lock cmpxchg(lock, TID, 0): sets ZF
  4: UNLOCK_CS_START, // .Lstart: jnz .Lend; mov 0,(pop)   <- inside the critical section
  5: GLIBC_UNLOCK + 8, // sys_futex(FUTEX_WAKE | FUTEX_ROBUST_UNLOCK)
};
/** .Lend + ret: the unlock is over (after 4 on success, after 5 otherwise) */
export const UNLOCK_IP_DONE = GLIBC_UNLOCK + 12;
/** where a caught signal's handler runs */
export const SIGNAL_HANDLER_IP = 0x7e000000;

/** arch vDSO mapping (exec, boot): publish the robust unlock critical section of this mm. */
export function map_vdso(mm: Mm): void {
  futex_set_unlock_cs_range(mm, UNLOCK_CS_START);
}

/** futex_reset_cs_ranges + setting range 0 (042df0c1d486). */
export function futex_set_unlock_cs_range(mm: Mm, start: number): void {
  mm.unlockRange = start >>> 0;
}

/** within(regs, csr): start_ip <= ip < start_ip + len, never for an invalid range. */
export function unlock_cs_within(mm: Mm, ip: number): boolean {
  return mm.unlockRange !== 0 && ip >= mm.unlockRange && ip < mm.unlockRange + UNLOCK_CS_LEN;
}
