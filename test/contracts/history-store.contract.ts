/**
 * The HistoryStore conformance suite: the Redis adapter and the in-memory fake run it unchanged.
 * A history store also honours erase markers, so each implementation comes with the way a user's
 * erasure is recorded next to it (for Redis: RedisErasures.mark).
 */
import { describe, expect, it } from 'vitest';
import type { HistoryStore, InterestSnapshot } from '../../services/domain/ports/index.js';
import type { Watermark } from '../../services/domain/types.js';
import { unique } from '../support/names.js';

export interface HistoryStoreUnderTest {
  readonly history: HistoryStore;
  /** Records that the user was erased at `watermark` (their erase marker). */
  erase(userId: string, watermark: Watermark): Promise<void>;
}

/** Offsets beyond 2^53: compared as decimal strings, never as doubles. */
const BIG = '9007199254740993';
const BIGGER = '9007199254740994';

/** The snapshot of `window`, with a unit vector set by `x`, at offset `offset` of `partition`. */
export function snap(userId: string, window: number, x: number, at: { partition?: number; offset?: string } = {}): InterestSnapshot {
  return {
    userId,
    vector: new Float32Array([x, Math.sqrt(1 - x * x)]),
    takenAt: window * 60_000,
    eventCount: window,
    watermarkPartition: at.partition ?? 0,
    watermarkOffset: at.offset ?? String(window),
    generation: 'g1',
    window,
  };
}

const windows = async (h: HistoryStore, userId: string): Promise<number[]> => (await h.recent(userId, 100)).map((s) => s.window);

/** `make(size)`: a store keeping the last `size` snapshots per user. */
export function describeHistoryStoreContract(name: string, make: (size: number) => HistoryStoreUnderTest): void {
  describe(`HistoryStore contract: ${name}`, () => {
    it('returns the newest n snapshots oldest first, vectors bit-exact; nothing for an unknown user', async () => {
      const { history } = make(3);
      const u = unique('u');
      await history.append(snap(u, 1, 0.6));
      await history.append(snap(u, 2, 0.8));
      const back = await history.recent(u, 5);
      expect(back).toEqual([snap(u, 1, 0.6), snap(u, 2, 0.8)]);
      expect(back[0]!.vector).toBeInstanceOf(Float32Array);
      expect(await history.recent(u, 1)).toEqual([snap(u, 2, 0.8)]);
      expect(await history.recent(u, 0)).toEqual([]);
      expect(await history.recent(unique('nobody'), 5)).toEqual([]);
    });

    it('is idempotent per (userId, window): a redelivered snapshot replaces, never duplicates', async () => {
      const { history } = make(3);
      const u = unique('u');
      await history.append(snap(u, 7, 0.1));
      await history.append(snap(u, 7, 0.2));
      await history.append(snap(u, 7, 0.2));
      expect(await history.recent(u, 10)).toEqual([snap(u, 7, 0.2)]);
    });

    it('keeps windows in order when they arrive out of order, and only the last H', async () => {
      const { history } = make(3);
      const u = unique('u');
      for (const w of [5, 2, 9, 4, 7]) await history.append(snap(u, w, w / 10));
      expect(await history.recent(u, 10)).toEqual([snap(u, 5, 0.5), snap(u, 7, 0.7), snap(u, 9, 0.9)]);
      // An older window than all kept ones is dropped at once; a new one in between pushes out the oldest.
      await history.append(snap(u, 1, 0.5));
      expect(await windows(history, u)).toEqual([5, 7, 9]);
      await history.append(snap(u, 8, 0.5));
      expect(await windows(history, u)).toEqual([7, 8, 9]);
    });

    it('keeps users apart, and hands out copies: changing a returned vector changes nothing kept', async () => {
      const { history } = make(3);
      const [a, b] = [unique('a'), unique('b')];
      await history.append(snap(a, 1, 0.6));
      await history.append(snap(b, 1, 0.8));
      const [got] = await history.recent(a, 1);
      got!.vector[0] = 42;
      expect(await history.recent(a, 5)).toEqual([snap(a, 1, 0.6)]);
      expect(await history.recent(b, 5)).toEqual([snap(b, 1, 0.8)]);
    });

    it('delete forgets one user’s history and says how many snapshots went', async () => {
      const { history } = make(3);
      const [u, other] = [unique('u'), unique('other')];
      await history.append(snap(u, 1, 0.3));
      await history.append(snap(u, 2, 0.3));
      await history.append(snap(other, 1, 0.3));
      expect(await history.delete(u)).toBe(2);
      expect(await history.recent(u, 5)).toEqual([]);
      expect(await history.delete(u)).toBe(0);
      expect(await windows(history, other)).toEqual([1]);
      await history.append(snap(u, 3, 0.3));
      expect(await windows(history, u)).toEqual([3]);
    });

    it('refuses a snapshot the erase marker covers, and keeps later or other-partition ones', async () => {
      const { history, erase } = make(5);
      const u = unique('erased');
      await history.append(snap(u, 1, 0.5, { partition: 3, offset: '5' }));
      await erase(u, { partition: 3, offset: BIG });
      await history.append(snap(u, 2, 0.5, { partition: 3, offset: '9007199254740992' }));
      await history.append(snap(u, 3, 0.5, { partition: 3, offset: BIG }));
      // The marker refuses new snapshots; removing those kept before it is the purge's work, not append's.
      expect(await windows(history, u)).toEqual([1]);
      await history.append(snap(u, 4, 0.5, { partition: 3, offset: BIGGER }));
      await history.append(snap(u, 5, 0.5, { partition: 1, offset: '5' }));
      expect(await windows(history, u)).toEqual([1, 4, 5]);
    });

    it('rejects a window or a count that is not a non-negative integer (INVALID_INPUT), keeping nothing', async () => {
      const { history } = make(3);
      const u = unique('u');
      for (const window of [-1, 1.5, Number.NaN]) {
        await expect(history.append({ ...snap(u, 1, 0.5), window })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
      await expect(history.append({ ...snap(u, 1, 0.5), watermarkOffset: 'x' })).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      await expect(history.recent(u, -1)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(history.recent(u, 0.5)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      expect(await history.recent(u, 5)).toEqual([]);
    });
  });
}
