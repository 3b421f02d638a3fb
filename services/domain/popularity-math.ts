/**
 * The arithmetic of decayed popularity counts, kept finite whatever it is given: a count read back
 * from Redis may be `inf`, an epoch may sit in the far future after a bad timestamp, a weight may be
 * huge. Ranking by NaN is how cold start broke (issue 11); these functions never return NaN.
 */

/** A stored score as Redis prints it ("inf", "-inf", "1.5e300"), as a number (NaN → 0). */
export function parseStoredScore(text: string | undefined): number {
  if (text === undefined) return 0;
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  const n = Number(text);
  return Number.isNaN(n) ? 0 : n;
}

/**
 * `stored · 2^((epoch0 − now) / halfLife)` in log space, clamped to [0, Number.MAX_VALUE]: a huge
 * stored score times a tiny decay stays exact instead of becoming `Infinity · 0 = NaN`.
 */
export function decayedScore(stored: number, epoch0: number, now: number, halfLifeMs: number): number {
  if (!(stored > 0)) return 0;
  const exponent = (epoch0 - now) / halfLifeMs;
  if (Number.isNaN(exponent)) return 0;
  // Exact where the factor is a normal double; in log space beyond, where it would over- or underflow.
  if (Math.abs(exponent) < 1000) {
    const direct = Math.min(stored, Number.MAX_VALUE) * 2 ** exponent;
    if (Number.isFinite(direct) && direct > 0) return direct;
  }
  const log2 = Math.log2(Math.min(stored, Number.MAX_VALUE)) + exponent;
  if (log2 >= 1024) return Number.MAX_VALUE;
  return Math.min(2 ** log2, Number.MAX_VALUE);
}

/** A view's time for the counts: never later than `now + toleranceMs`, so one bad clock cannot move the epoch. */
export function clampViewTime(at: number, now: number, toleranceMs: number): number {
  return Math.min(at, now + toleranceMs);
}

/** Highest score first; equal scores by item id, so the order is total and stable across calls. */
export function rankByScore<T extends { readonly itemId: string; readonly score: number }>(rows: T[]): T[] {
  return rows.sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
}
