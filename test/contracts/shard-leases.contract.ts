/**
 * The ShardLeases conformance suite: the Redis adapter and the in-memory fake run it unchanged.
 * `make()` gives a fresh lease table shared by the instances it hands out, and a way to let time
 * pass (Redis: wait; the fake: move its clock).
 */
import { describe, expect, it } from 'vitest';
import type { ShardLeases } from '../../services/domain/ports/index.js';

/** The lease time every instance gets: long enough for a few Redis round trips on a loaded machine. */
export const LEASE_MS = 400;

export interface LeaseTableUnderTest {
  /** An instance with this token, over the table the others share. */
  instance(token: string): ShardLeases;
  /** Lets `ms` pass for every lease of the table. */
  elapse(ms: number): Promise<void>;
}

export function describeShardLeasesContract(name: string, make: () => LeaseTableUnderTest): void {
  describe(`ShardLeases contract: ${name}`, () => {
    it('gives a shard to one instance at a time, and not twice to the same one', async () => {
      const table = make();
      const [a, b] = [table.instance('a'), table.instance('b')];
      expect(a.token).toBe('a');
      expect(await a.acquire(0)).toBe(true);
      expect(await b.acquire(0)).toBe(false);
      expect(await a.acquire(0)).toBe(false);
      expect(await b.acquire(1)).toBe(true);
      expect([await a.renew(0), await b.renew(0), await a.renew(1), await b.renew(1)]).toEqual([true, false, false, true]);
    });

    it('lets only the holder release a shard, which another may then take', async () => {
      const table = make();
      const [a, b] = [table.instance('a'), table.instance('b')];
      await a.acquire(2);
      await b.release(2);
      expect(await b.acquire(2)).toBe(false);
      await a.release(2);
      expect(await b.acquire(2)).toBe(true);
      expect(await a.renew(2)).toBe(false);
    });

    it('loses a lease not renewed in time: the holder learns it, another takes the shard, the old holder cannot touch it', async () => {
      const table = make();
      const [a, b] = [table.instance('a'), table.instance('b')];
      await a.acquire(0);
      await table.elapse(LEASE_MS + 200);
      expect(await b.acquire(0)).toBe(true);
      expect(await a.renew(0)).toBe(false);
      expect(await a.finish(0, 7)).toBe(false);
      await a.release(0);
      expect(await b.renew(0)).toBe(true);
      expect(await b.finish(0, 7)).toBe(true);
      expect(await b.doneWindows(1)).toEqual([7]);
    });

    it('keeps a renewed lease for another lease time', async () => {
      const table = make();
      const [a, b] = [table.instance('a'), table.instance('b')];
      await a.acquire(0);
      await table.elapse(LEASE_MS * 0.6);
      expect(await a.renew(0)).toBe(true);
      await table.elapse(LEASE_MS * 0.6);
      expect(await b.acquire(0)).toBe(false);
      expect(await a.renew(0)).toBe(true);
    });

    it('records the last completed window per shard, only from the holder, and never moves it back', async () => {
      const table = make();
      const [a, b] = [table.instance('a'), table.instance('b')];
      expect(await a.doneWindows(3)).toEqual([-1, -1, -1]);
      await a.acquire(1);
      expect(await a.finish(1, 5)).toBe(true);
      expect(await a.finish(1, 3)).toBe(true);
      expect(await b.finish(1, 9)).toBe(false);
      expect(await b.finish(2, 9)).toBe(false);
      expect(await b.doneWindows(3)).toEqual([-1, 5, -1]);
      // The done window outlives the lease: the next holder sees it.
      await a.release(1);
      await b.acquire(1);
      expect(await b.doneWindows(2)).toEqual([-1, 5]);
    });
  });
}
