/**
 * The Erasures conformance suite: the in-memory fake (the erasure use cases' unit tests) and the
 * Redis adapter (the service) run it unchanged, so the fake cannot drift from the rules the query
 * service and ingest share through Redis.
 */
import { describe, expect, it } from 'vitest';
import type { Erasures } from '../../services/domain/ports/index.js';
import { unique } from '../support/names.js';

/** Offsets beyond 2^53: they must compare as decimal numbers, not as doubles. */
const BIG = '9007199254740993';
const BIGGER = '9007199254740994';

export function describeErasuresContract(name: string, make: () => Erasures): void {
  describe(`Erasures contract: ${name}`, () => {
    it('moves a marker forward only: a later offset on its partition (even past 2^53), or a later time on another partition', async () => {
      const erasures = make();
      const user = unique('m');
      await erasures.mark({ userId: user, watermark: { partition: 1, offset: BIGGER }, at: 5_000 });
      await erasures.mark({ userId: user, watermark: { partition: 1, offset: BIG }, at: 9_000 });
      expect((await erasures.markers([user])).get(user)).toEqual({ userId: user, watermark: { partition: 1, offset: BIGGER }, at: 5_000 });
      await erasures.mark({ userId: user, watermark: { partition: 1, offset: '10000000000000000' }, at: 1_000 });
      expect((await erasures.markers([user])).get(user)!.watermark.offset).toBe('10000000000000000');
      await erasures.mark({ userId: user, watermark: { partition: 2, offset: '0' }, at: 1_000 });
      expect((await erasures.markers([user])).get(user)!.watermark).toEqual({ partition: 1, offset: '10000000000000000' });
      await erasures.mark({ userId: user, watermark: { partition: 2, offset: '0' }, at: 6_000 });
      expect((await erasures.markers([user])).get(user)).toEqual({ userId: user, watermark: { partition: 2, offset: '0' }, at: 6_000 });
    });

    it('answers markers for several users at once, leaving out users never erased', async () => {
      const erasures = make();
      const [a, b, never] = [unique('a'), unique('b'), unique('never')];
      await erasures.mark({ userId: a, watermark: { partition: 0, offset: '7' }, at: 70 });
      await erasures.mark({ userId: b, watermark: { partition: 3, offset: '9' }, at: 90 });
      const got = await erasures.markers([never, b, a]);
      expect([...got.keys()].sort()).toEqual([a, b].sort());
      expect(got.get(b)).toEqual({ userId: b, watermark: { partition: 3, offset: '9' }, at: 90 });
      expect((await erasures.markers([])).size).toBe(0);
    });

    it('keeps an erasure pending until complete, its fold time the first one reported', async () => {
      const erasures = make();
      const id = unique('e');
      await erasures.request(id, 'who', 1_000);
      expect(await erasures.status(id)).toEqual({ erasureId: id, status: 'pending', requestedAt: 1_000, foldedAt: null, completedAt: null });
      await erasures.folded(id, 1_100);
      await erasures.folded(id, 1_150);
      expect(await erasures.status(id)).toEqual({ erasureId: id, status: 'pending', requestedAt: 1_000, foldedAt: 1_100, completedAt: null });
      await erasures.complete(id, 1_200);
      await erasures.complete(id, 1_300);
      expect(await erasures.status(id)).toEqual({ erasureId: id, status: 'complete', requestedAt: 1_000, foldedAt: 1_100, completedAt: 1_200 });
    });

    it('completing an erasure whose ERASE no ingest reported folded sets both times', async () => {
      const erasures = make();
      const id = unique('e');
      await erasures.request(id, 'who', 10);
      await erasures.complete(id, 20);
      expect(await erasures.status(id)).toEqual({ erasureId: id, status: 'complete', requestedAt: 10, foldedAt: 20, completedAt: 20 });
    });

    it('creates nothing for an erasure nobody requested, and forgets a request', async () => {
      const erasures = make();
      const [unknown, forgotten] = [unique('unknown'), unique('forgotten')];
      await erasures.folded(unknown, 5);
      await erasures.complete(unknown, 6);
      expect(await erasures.status(unknown)).toBeUndefined();
      await erasures.request(forgotten, 'who', 1);
      await erasures.forget(forgotten);
      expect(await erasures.status(forgotten)).toBeUndefined();
      await erasures.folded(forgotten, 2);
      expect(await erasures.status(forgotten)).toBeUndefined();
    });
  });
}
