/**
 * The PopularityStore conformance suite: the Redis adapter and the in-memory fake run it unchanged.
 * Each test makes a store of its own (an empty one), with a half-life of one hour.
 */
import { describe, expect, it } from 'vitest';
import type { PopularityIncrement, PopularityStore } from '../../services/domain/ports/index.js';

export const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

/** Both implementations also take the `now` that clamps view times (tests pass it; production uses the clock). */
export interface PopularityStoreUnderTest extends PopularityStore {
  record(increments: readonly PopularityIncrement[], now?: number): Promise<void>;
}

export interface PopularityStoreOptions {
  readonly halfLifeMs: number;
  /** Half-lives past the first write before small counts are forgotten; tests lower it. */
  readonly rescaleExponent?: number;
}

export function describePopularityStoreContract(name: string, make: (options: PopularityStoreOptions) => PopularityStoreUnderTest): void {
  describe(`PopularityStore contract: ${name}`, () => {
    const store = (rescaleExponent?: number) => make({ halfLifeMs: HOUR, ...(rescaleExponent === undefined ? {} : { rescaleExponent }) });

    it('ranks by decayed counts: a view loses half its weight every half-life', async () => {
      const s = store();
      await s.record([
        { itemId: 'old', weight: 4, at: T0 },
        { itemId: 'new', weight: 1, at: T0 + 2 * HOUR },
        { itemId: 'new', weight: 0.5, at: T0 + 2 * HOUR },
        { itemId: 'mid', weight: 1, at: T0 + HOUR },
      ], T0 + 2 * HOUR);
      // As of T0 + 2h: old = 4 · ¼ = 1, new = 1.5, mid = ½.
      expect(await s.top(10, { now: T0 + 2 * HOUR })).toEqual([
        { itemId: 'new', score: 1.5 },
        { itemId: 'old', score: 1 },
        { itemId: 'mid', score: 0.5 },
      ]);
      // Three half-lives later every count is an eighth of that, and the ranking is unchanged.
      expect((await s.top(10, { now: T0 + 5 * HOUR })).map((t) => t.score)).toEqual([0.1875, 0.125, 0.0625]);
    });

    it('adds a later batch to what is counted, even when its views are older', async () => {
      const s = store();
      await s.record([{ itemId: 'a', weight: 1, at: T0 + HOUR }], T0 + HOUR);
      await s.record([{ itemId: 'a', weight: 1, at: T0 }, { itemId: 'b', weight: 3, at: T0 + 2 * HOUR }], T0 + 2 * HOUR);
      // As of T0 + 2h: a = ½ + ¼, b = 3.
      expect(await s.top(10, { now: T0 + 2 * HOUR })).toEqual([{ itemId: 'b', score: 3 }, { itemId: 'a', score: 0.75 }]);
    });

    it('gives the decayed counts of named items in order, 0 for items never viewed (strategy=hybrid)', async () => {
      const s = store();
      expect(await s.scores(['x'], T0)).toEqual([0]);
      expect(await s.scores([], T0)).toEqual([]);
      await s.record([
        { itemId: 'old', weight: 4, at: T0 },
        { itemId: 'new', weight: 1.5, at: T0 + 2 * HOUR },
      ], T0 + 2 * HOUR);
      expect(await s.scores(['new', 'never', 'old'], T0 + 2 * HOUR)).toEqual([1.5, 0, 1]);
      expect(await s.scores(['old'], T0 + 4 * HOUR)).toEqual([0.25]);
    });

    it('honours limit and excluded ids, and ranks equal counts by item id', async () => {
      const s = store();
      await s.record([{ itemId: 'b2', weight: 3, at: T0 }, ...['d', 'c', 'b', 'a'].map((itemId, i) => ({ itemId, weight: i + 1, at: T0 }))], T0);
      expect(await s.top(3, { now: T0, excludeIds: ['a', 'c'] })).toEqual([
        { itemId: 'b', score: 3 },
        { itemId: 'b2', score: 3 },
        { itemId: 'd', score: 1 },
      ]);
      expect(await s.top(0, { now: T0 })).toEqual([]);
      expect(await s.top(2, { now: T0 })).toEqual([{ itemId: 'a', score: 4 }, { itemId: 'b', score: 3 }]);
    });

    it('decays to the present when no time is given', async () => {
      const s = store();
      await s.record([{ itemId: 'a', weight: 1, at: Date.now() - HOUR }]);
      const [top] = await s.top(1);
      expect(top!.itemId).toBe('a');
      expect(top!.score).toBeCloseTo(0.5, 3);
      expect((await s.scores(['a']))[0]).toBeCloseTo(0.5, 3);
    });

    it('keeps every count exact across the rescale that guards against overflow', async () => {
      const s = store(4);
      await s.record([{ itemId: 'a', weight: 3, at: T0 }, { itemId: 'b', weight: 1, at: T0 + HOUR }], T0 + HOUR);
      // 10 half-lives on: past the threshold of 4.
      await s.record([{ itemId: 'c', weight: 1, at: T0 + 10 * HOUR }], T0 + 10 * HOUR);
      expect(await s.top(3, { now: T0 + 10 * HOUR })).toEqual([
        { itemId: 'c', score: 1 },
        { itemId: 'a', score: 3 / 1024 },
        { itemId: 'b', score: 1 / 512 },
      ]);
    });

    it('forgets counts decayed below a millionth of a view once writes are far past them', async () => {
      const s = store(4);
      await s.record([{ itemId: 'tiny', weight: 1, at: T0 }, { itemId: 'kept', weight: 2 ** 20, at: T0 }], T0);
      await s.record([{ itemId: 'x', weight: 1, at: T0 + 30 * HOUR }], T0 + 30 * HOUR);
      // tiny: 2^-30 of a view, forgotten; kept: 2^20 · 2^-30 = 2^-10, kept.
      expect(await s.top(10, { now: T0 + 30 * HOUR })).toEqual([{ itemId: 'x', score: 1 }, { itemId: 'kept', score: 2 ** -10 }]);
    });

    it('survives years of half-lives with the default threshold (no Infinity, no NaN)', async () => {
      const s = store();
      const late = T0 + 3000 * HOUR; // 2^3000 would overflow a double
      await s.record([{ itemId: 'early', weight: 1, at: T0 }], T0);
      await s.record([{ itemId: 'late', weight: 2, at: late }], late);
      expect(await s.top(5, { now: late })).toEqual([{ itemId: 'late', score: 2 }]);
    });

    it('counts a view stamped in the future as stamped at now + 5 minutes, and keeps the other counts', async () => {
      const s = store();
      await s.record([{ itemId: 'a', weight: 4, at: T0 - 2 * HOUR }, { itemId: 'b', weight: 1, at: T0 }], T0);
      await s.record([{ itemId: 'future', weight: 1, at: T0 * 1000 }], T0); // microseconds
      const top = await s.top(10, { now: T0 });
      expect(top.map((t) => t.itemId)).toEqual(['future', 'a', 'b']);
      expect(top[0]!.score).toBeCloseTo(2 ** (300_000 / HOUR), 12);
      expect(top[1]!.score).toBeCloseTo(1, 12);
      expect(top[2]!.score).toBeCloseTo(1, 12);
    });

    it('keeps huge weights finite and ordered', async () => {
      const s = store();
      await s.record([{ itemId: 'big', weight: Number.MAX_VALUE, at: T0 }, { itemId: 'big', weight: Number.MAX_VALUE, at: T0 }, { itemId: 'small', weight: 1, at: T0 }], T0);
      const top = await s.top(10, { now: T0 + 1000 * HOUR });
      expect(top.map((t) => t.itemId)).toEqual(['big', 'small']);
      expect(top.every((t) => Number.isFinite(t.score) && t.score >= 0)).toBe(true);
    });

    it('rejects a bad view (INVALID_INPUT) before counting any of its batch, and a bad limit', async () => {
      const s = store();
      for (const bad of [{ itemId: '', weight: 1, at: T0 }, { itemId: 'w', weight: 0, at: T0 }, { itemId: 'n', weight: Number.NaN, at: T0 }, { itemId: 't', weight: 1, at: Number.NaN }]) {
        await expect(s.record([{ itemId: 'ok', weight: 1, at: T0 }, bad], T0)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
      expect(await s.top(10, { now: T0 })).toEqual([]);
      await expect(s.top(-1)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(s.top(1.5)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await s.record([], T0);
      expect(await s.top(10, { now: T0 })).toEqual([]);
    });

    it('clear forgets every count', async () => {
      const s = store();
      await s.record([{ itemId: 'x', weight: 1, at: T0 }, { itemId: 'y', weight: 2, at: T0 }], T0);
      await s.clear();
      expect(await s.top(5, { now: T0 })).toEqual([]);
      expect(await s.scores(['x', 'y'], T0)).toEqual([0, 0]);
      await s.record([{ itemId: 'x', weight: 1, at: T0 + HOUR }], T0 + HOUR);
      expect(await s.top(5, { now: T0 + HOUR })).toEqual([{ itemId: 'x', score: 1 }]);
    });
  });
}
