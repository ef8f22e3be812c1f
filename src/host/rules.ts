// Host-version rules: each known difference between the modelled kernel (v7.2) and the host
// kernel (6.18) is one named rule, matched by event and condition. A difference no rule explains
// is a finding of kernel-diff. docs/host-rules.md describes every rule.
import { FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS, type Addr, type Program } from "../program/types.js";
import { regionAddress } from "../kernel/memory.js";
import { ENOEXEC, ENOMEM } from "../kernel/errno.js";
import type { Difference } from "./compare.js";

export interface HostRule {
  name: string;
  /** one line: what differs and why */
  doc: string;
  matches(p: Program, d: Difference): boolean;
}


function addrOf(a: Addr): number {
  return regionAddress(a.region) + (a.off & ~3);
}

function lockWordsOf(p: Program, op: "robust_lock" | "robust_unlock" | "robust_pending" | "robust_unlock_legacy"): Set<number> {
  const out = new Set<number>();
  for (const ev of p.events) if (ev.op === op && "addr" in ev.args) out.add(addrOf(ev.args.addr));
  return out;
}

function wordAddr(key: string): number {
  return Number(key.slice(key.indexOf("@") + 1));
}

export const HOST_RULES: readonly HostRule[] = [
  {
    name: "exec-fail-errno",
    doc: "`exec fail` fails in bprm_mm_init on v7.2 (-ENOMEM, fault injection); the host fails an exec after mm_alloc with a file of no known format (-ENOEXEC)",
    matches: (p, d) => d.kind === "ret" && p.events[d.index]!.op === "exec" && d.sim === ENOMEM && d.host === ENOEXEC,
  },
  {
    name: "no-futex-robust-unlock",
    doc: "a contended robust_unlock: v7.2's FUTEX_ROBUST_UNLOCK leaves FUTEX_WAITERS in the word for the waiters it did not wake; 6.18 has no such op and glibc stores 0 before FUTEX_WAKE",
    matches: (p, d) => {
      if (d.kind === "ran" || d.sim !== FUTEX_WAITERS || d.host !== 0) return false;
      const unlocked = lockWordsOf(p, "robust_unlock");
      if (d.kind === "word") return unlocked.has(wordAddr(d.key));
      const ev = p.events[d.index]!;
      return d.kind === "ret" && ev.op === "load" && unlocked.has(addrOf(ev.args.addr));
    },
  },
  {
    name: "pending-wake-some-more",
    doc: "a word a program's robust_unlock_legacy released, in a program that sends SIGKILL: simulator TID | FUTEX_WAITERS, host the same TID alone; 6.18 predates 'futex: Prevent robust futex exit race some more' (the switch robust-pending-wake-owner-zero)",
    matches: (p, d) => {
      if (d.kind !== "word" || d.sim === undefined || d.host === undefined) return false;
      if (!(d.sim & FUTEX_WAITERS) || (d.sim & FUTEX_TID_MASK) === 0 || d.host !== (d.sim & ~FUTEX_WAITERS) >>> 0) return false;
      return lockWordsOf(p, "robust_unlock_legacy").has(wordAddr(d.key)) && p.events.some((ev) => ev.op === "signal" && ev.args.sig === "kill");
    },
  },
  {
    name: "killed-pi-waiter-vs-owner-exit",
    doc: "a group killed while one thread waits in FUTEX_LOCK_PI on a word another thread of it owns: the simulator runs the waiter's exit first (it leaves the rt_mutex, the word keeps OWNER_DIED with TID 0); on the host the owner's exit_pi_state_list may hand it the lock first (its fixup writes its TID before it dies)",
    matches: (p, d) => {
      if (d.kind !== "word" || d.sim === undefined || d.host === undefined) return false;
      if ((d.sim & FUTEX_TID_MASK) !== 0 || !(d.sim & FUTEX_OWNER_DIED) || ((d.sim ^ d.host) & ~FUTEX_TID_MASK) !== 0) return false;
      const w = wordAddr(d.key);
      return p.events.some((ev) => ev.op === "signal" && ev.args.sig === "kill") && p.events.some((ev) => ev.op === "futex_lock_pi" && addrOf(ev.args.addr) === w);
    },
  },
];

export interface Classified {
  /** differences no rule explains */
  unexplained: Difference[];
  /** rule name -> how many differences it explained */
  applied: Map<string, number>;
}

export function classify(p: Program, diffs: readonly Difference[], rules: readonly HostRule[] = HOST_RULES): Classified {
  const out: Classified = { unexplained: [], applied: new Map() };
  for (const d of diffs) {
    const r = rules.find((rule) => rule.matches(p, d));
    if (r) out.applied.set(r.name, (out.applied.get(r.name) ?? 0) + 1);
    else out.unexplained.push(d);
  }
  return out;
}
