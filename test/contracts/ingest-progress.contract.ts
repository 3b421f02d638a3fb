/**
 * The IngestProgress conformance suite (read-your-writes: how far ingest has folded each partition):
 * the in-memory fake and the Redis adapter run it unchanged.
 */
import { describe, expect, it } from 'vitest';
import type { IngestProgress } from '../../services/domain/ports/index.js';
import { unique } from '../support/names.js';

export function describeIngestProgressContract(name: string, make: () => IngestProgress): void {
  describe(`IngestProgress contract: ${name}`, () => {
    it('reads nothing for a topic ingest has not folded, then each partition it advanced', async () => {
      const progress = make();
      const topic = unique('t');
      expect(await progress.read(topic)).toEqual(new Map());
      await progress.advance(topic, new Map([[0, 5n], [3, 0n]]));
      expect(await progress.read(topic)).toEqual(new Map([[0, 5n], [3, 0n]]));
      await progress.advance(topic, new Map());
      expect(await progress.read(topic)).toEqual(new Map([[0, 5n], [3, 0n]]));
    });

    it('never moves a partition back (a zombie or a replay finishing an older batch)', async () => {
      const progress = make();
      const topic = unique('t');
      await progress.advance(topic, new Map([[0, 10n], [1, 10n]]));
      await progress.advance(topic, new Map([[0, 7n], [1, 12n]]));
      expect(await progress.read(topic)).toEqual(new Map([[0, 10n], [1, 12n]]));
    });

    it('compares offsets past 2^53 exactly', async () => {
      const progress = make();
      const topic = unique('t');
      await progress.advance(topic, new Map([[0, 9_007_199_254_740_992n]]));
      await progress.advance(topic, new Map([[0, 9_007_199_254_740_993n]]));
      expect((await progress.read(topic)).get(0)).toBe(9_007_199_254_740_993n);
      await progress.advance(topic, new Map([[0, 9_007_199_254_740_992n]]));
      expect((await progress.read(topic)).get(0)).toBe(9_007_199_254_740_993n);
      await progress.advance(topic, new Map([[0, 10_000_000_000_000_000n]]));
      expect((await progress.read(topic)).get(0)).toBe(10_000_000_000_000_000n);
    });

    it('keeps topics apart', async () => {
      const progress = make();
      const [a, b] = [unique('a'), unique('b')];
      await progress.advance(a, new Map([[0, 1n]]));
      await progress.advance(b, new Map([[0, 2n]]));
      expect(await progress.read(a)).toEqual(new Map([[0, 1n]]));
      expect(await progress.read(b)).toEqual(new Map([[0, 2n]]));
    });
  });
}
