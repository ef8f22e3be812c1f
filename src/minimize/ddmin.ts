// Delta debugging over a list (Zeller & Hildebrandt's ddmin, complement-only variant) and the
// one-by-one removal pass that makes a result 1-minimal. Both are pure: the outcome depends only
// on the list and on `test`, which must be deterministic.

/**
 * Shrink `items` to a sublist that still passes `test` by removing chunks: split into n chunks,
 * try dropping each; on success keep the complement and coarsen, else refine (n doubles) until
 * chunks are single items. `test(items)` itself is assumed true.
 */
export function ddmin<T>(items: readonly T[], test: (items: T[]) => boolean): T[] {
  let cur = [...items];
  let n = 2;
  while (cur.length >= 2) {
    const chunks = split(cur.length, n);
    let reduced = false;
    for (const [lo, hi] of chunks) {
      const complement = [...cur.slice(0, lo), ...cur.slice(hi)];
      if (test(complement)) {
        cur = complement;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (reduced) continue;
    if (n >= cur.length) break;
    n = Math.min(n * 2, cur.length);
  }
  if (cur.length === 1 && test([])) cur = [];
  return cur;
}

/** [lo, hi) bounds of n nearly equal chunks covering 0..len. */
function split(len: number, n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const lo = Math.floor((i * len) / n);
    const hi = Math.floor(((i + 1) * len) / n);
    if (hi > lo) out.push([lo, hi]);
  }
  return out;
}

/**
 * Try removing each single item, last first (later events depend on earlier ones more than the
 * other way round), until no single removal passes: the result is 1-minimal w.r.t. `test`.
 */
export function removeOneByOne<T>(items: readonly T[], test: (items: T[]) => boolean): T[] {
  let cur = [...items];
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = cur.length - 1; i >= 0; i--) {
      const cand = [...cur.slice(0, i), ...cur.slice(i + 1)];
      if (test(cand)) {
        cur = cand;
        changed = true;
      }
    }
  }
  return cur;
}

/**
 * Shrink an integer toward `target` (target <= v): try target, then halve the distance, then v-1;
 * take the first success and repeat. Returns the smallest value found that passes `ok`.
 */
export function shrinkInt(v: number, target: number, ok: (n: number) => boolean): number {
  let cur = v;
  while (cur > target) {
    let next: number | null = null;
    for (let d = cur - target; d >= 1; d = Math.floor(d / 2)) {
      if (ok(cur - d)) {
        next = cur - d;
        break;
      }
    }
    if (next === null) break;
    cur = next;
  }
  return cur;
}
