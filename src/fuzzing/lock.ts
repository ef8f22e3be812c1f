// A target's work dir (WORK/<target>) belongs to one process at a time: a campaign or a corpus
// merge. The lock is a file `WORK/<target>/lock` holding the holder's pid, created with link(2)
// from a private temp file, so exactly one of two racing processes gets it. A lock whose pid is
// no longer alive (a killed process) is stale: it is moved aside under a name of our own with
// rename(2), which one taker wins, checked to be the stale one (a live lock taken by mistake is
// put back), and then taken as usual.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class LockError extends Error {}

export interface Lock {
  path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e instanceof Error && "code" in e && e.code === "EPERM";
  }
}

function holder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").split(/\s/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Take `root`/lock for `what` (e.g. "fuzz campaign"); a live holder makes it throw LockError naming its pid. */
export function lockWorkDir(root: string, what: string): Lock {
  mkdirSync(root, { recursive: true });
  const path = join(root, "lock");
  const mine = join(root, `.lock-${process.pid}`);
  writeFileSync(mine, `${process.pid} ${what}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, path);
        return {
          path,
          release: () => {
            if (holder(path) === process.pid) unlinkSync(path);
          },
        };
      } catch (e) {
        if (!(e instanceof Error && "code" in e && e.code === "EEXIST")) throw e;
      }
      const pid = holder(path);
      if (pid !== undefined && pid !== process.pid && alive(pid)) {
        const said = readFileSync(path, "utf8").trim().split(/\s+/).slice(1).join(" ") || "futex-fuzz";
        throw new LockError(`${root} is in use by pid ${pid} (${said}); wait for it or stop it (a killed holder's lock is taken over)`);
      }
      // stale (or unreadable: a holder still writing it is alive and retried above)
      const aside = join(root, `.lock-stale-${process.pid}`);
      try {
        renameSync(path, aside);
      } catch {
        continue; // another taker moved it first
      }
      if (holder(aside) !== pid) {
        // we moved a lock someone took after we read the stale one: give it back
        try {
          linkSync(aside, path);
        } catch {
          // a third process holds it now; the one we moved aside loses it (it re-checks on release)
        }
      }
      unlinkSync(aside);
    }
    throw new LockError(`${root}/lock: could not take the lock (contended)`);
  } finally {
    if (existsSync(mine)) unlinkSync(mine);
  }
}
