/**
 * Returns the Levenshtein distance between `a` and `b` when it is at most
 * `bound`, and `bound + 1` otherwise. Only the diagonal band of width
 * `2 * bound + 1` is computed, so the cost is O(length × bound) instead of
 * O(length²), which keeps comparing long error texts cheap.
 */
export function boundedEditDistance(a: string, b: string, bound: number): number {
  const limit = Math.max(0, Math.floor(bound));
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  if (a === b) return 0;

  const outside = limit + 1;
  let previous = new Array<number>(b.length + 1).fill(outside);
  let current = new Array<number>(b.length + 1).fill(outside);
  for (let j = 0; j <= Math.min(b.length, limit); j++) previous[j] = j;

  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - limit);
    const to = Math.min(b.length, i + limit);
    current.fill(outside);
    current[0] = i <= limit ? i : outside;
    let rowMin = current[0];

    for (let j = from; j <= to; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      const deletion = previous[j]! + 1;
      const insertion = current[j - 1]! + 1;
      const value = Math.min(substitution, deletion, insertion, outside);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }

    // Every later row is at least this row's minimum, so the bound is already exceeded.
    if (rowMin > limit) return outside;
    [previous, current] = [current, previous];
  }
  return Math.min(previous[b.length]!, outside);
}

/** Share of the longer text's length that two texts may differ by and still count as one failure. */
export const NEAR_DUPLICATE_RATIO = 0.1;

/** True when `a` and `b` differ by at most a tenth of the longer one's length. */
export function isNearDuplicate(a: string, b: string, ratio = NEAR_DUPLICATE_RATIO): boolean {
  const bound = Math.floor(Math.max(a.length, b.length) * ratio);
  return boundedEditDistance(a, b, bound) <= bound;
}
