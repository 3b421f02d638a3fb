import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/core/logger.js';
import { readDeadLetters } from '../../services/adapters/kafka/dlq-reader.js';
import { runDlq } from '../../services/cli/dlq-command.js';
import { eventually } from '../support/eventually.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { randomVector, rng } from '../support/random.js';
import { maxAbsDiff, referenceFold, type RefEvent } from '../support/reference-fold.js';
import { workload } from '../support/workload.js';

describe('interest-stream dlq', () => {
  const w = workload({ seed: 16, items: 4, users: 1, events: 0, dimension: 8 });
  const suite = ingestSuite(w.items, { partitions: 2 });
  const { h } = suite;
  const dlq = () => `${h.config.interactionsTopic}.dlq`;

  it('lists and shows dead letters, and redrive folds them once their cause is fixed; a second redrive changes nothing', async () => {
    await suite.startIngest();
    const events: RefEvent[] = [
      { eventId: 'n1', userId: 'u-new', itemId: 'new-item', type: 'VIEW', weight: 1 },
      { eventId: 'n2', userId: 'u-new2', itemId: 'new-item', type: 'VIEW', weight: 2 },
    ];
    await h.publisher.publish(events);
    await h.drained();
    expect((await readDeadLetters(h.kafka, dlq())).map((d) => d.code)).toEqual(['UNKNOWN_ITEM', 'UNKNOWN_ITEM']);

    const listed: string[] = [];
    await runDlq(['list', '--reason', 'UNKNOWN_ITEM'], h.config, silentLogger(), (l) => listed.push(l));
    expect(listed.at(-1)).toBe(`2 dead letters in ${dlq()}`);
    expect(listed.slice(0, 2).every((l) => /UNKNOWN_ITEM {2}key=u-new2? {2}.*new-item/.test(l))).toBe(true);
    const shown: string[] = [];
    await runDlq(['show', listed[0]!.split(' ')[0]!], h.config, silentLogger(), (l) => shown.push(l));
    expect(JSON.parse(shown[0]!).headers['x-error-code']).toBe('UNKNOWN_ITEM');
    const none: string[] = [];
    await runDlq(['list', '--since', new Date(Date.now() + 60_000).toISOString()], h.config, silentLogger(), (l) => none.push(l));
    expect(none).toEqual([`0 dead letters in ${dlq()}`]);

    // The cause is fixed: the item is imported.
    const item = randomVector(rng(17), 8);
    await h.importItems(new Map([['new-item', item]]));
    const out: string[] = [];
    await runDlq(['redrive', '--reason', 'UNKNOWN_ITEM'], h.config, silentLogger(), (l) => out.push(l));
    expect(out).toEqual([`re-published 2 dead letters to ${h.config.interactionsTopic}; skipped 0 references (too large to have been kept whole)`]);
    await eventually(async () => (await h.hotStates(['u-new', 'u-new2'])).size === 2, { timeoutMs: 30_000 });
    await h.drained();
    const ref = referenceFold(events, new Map([...w.items, ['new-item', item]]));
    const first = await h.hotStates(['u-new', 'u-new2']);
    for (const id of ['u-new', 'u-new2']) {
      expect(first.get(id)!.eventCount).toBe(1);
      expect(maxAbsDiff(first.get(id)!.vector!, ref.get(id)!.vector!)).toBeLessThanOrEqual(1e-6);
    }

    await runDlq(['redrive'], h.config, silentLogger(), () => undefined);
    await h.drained();
    const second = await h.hotStates(['u-new', 'u-new2']);
    for (const id of ['u-new', 'u-new2']) {
      expect(second.get(id)!.eventCount).toBe(1);
      expect(Array.from(second.get(id)!.vector!)).toEqual(Array.from(first.get(id)!.vector!));
      expect(second.get(id)!.recentEventIds).toEqual(first.get(id)!.recentEventIds);
    }
    // Both redrives were folded (or found duplicate), none dead-lettered again.
    expect(await readDeadLetters(h.kafka, dlq())).toHaveLength(2);
  }, 120_000);
});
