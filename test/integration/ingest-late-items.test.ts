import { describe, expect, it } from 'vitest';
import { consumerLag } from '../../services/adapters/kafka/consumer-lag.js';
import { readDeadLetters } from '../../services/adapters/kafka/dlq-reader.js';
import { eventually } from '../support/eventually.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { randomVector, rng } from '../support/random.js';
import { maxAbsDiff, referenceFold, type RefEvent } from '../support/reference-fold.js';
import { workload } from '../support/workload.js';

const view = (eventId: string, userId: string, itemId: string): RefEvent => ({ eventId, userId, itemId, type: 'VIEW', weight: 1 });

describe('ingest: a view that arrives before its catalogue item', () => {
  const w = workload({ seed: 14, items: 5, users: 1, events: 0, dimension: 8 });
  const late = randomVector(rng(15), 8);
  const suite = ingestSuite(w.items, { partitions: 1, extraEnv: { UNKNOWN_ITEM_PARK_MS: '600000' } });
  const { h } = suite;

  it('is parked without holding up the partition, then folds in order once the item is imported', async () => {
    await suite.startIngest();
    const events = [view('l1', 'u-late', 'late-item'), view('l2', 'u-late', 'item-1'), view('o1', 'u-other', 'item-2'), view('o2', 'u-other', 'item-3')];
    await h.publisher.publish(events);
    const published = Date.now();

    // The other user of the partition folds while the view waits for its item.
    await eventually(async () => (await h.hotStates(['u-other'])).get('u-other')?.eventCount === 2, { timeoutMs: 4000 });
    expect((await h.hotStates(['u-late'])).has('u-late')).toBe(false);
    // Nothing is committed past the parked view (offset 0): a crash now would not lose it.
    expect((await consumerLag(h.admin, h.groupId, h.config.interactionsTopic)).total).toBe(4);

    await new Promise((r) => setTimeout(r, Math.max(0, published + 5000 - Date.now())));
    await h.importItems(new Map([['late-item', late]]));

    const items = new Map([...w.items, ['late-item', late]]);
    const ref = referenceFold(events, items);
    await eventually(async () => (await h.hotStates(['u-late'])).get('u-late')?.eventCount === 2, { timeoutMs: 45_000 });
    const state = (await h.hotStates(['u-late'])).get('u-late')!;
    expect(state.recentViews).toEqual(['late-item', 'item-1']);
    expect(maxAbsDiff(state.vector!, ref.get('u-late')!.vector!)).toBeLessThanOrEqual(1e-6);
    await h.drained();
    expect(await readDeadLetters(h.kafka, `${h.config.interactionsTopic}.dlq`)).toEqual([]);
  }, 90_000);
});
