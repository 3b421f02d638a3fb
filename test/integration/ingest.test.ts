import { describe, expect, it } from 'vitest';
import type { UserState } from '../../services/domain/types.js';
import { ingestSuite, type IngestHarness } from '../support/ingest-harness.js';
import { maxAbsDiff, referenceFold, type RefEvent, type RefState } from '../support/reference-fold.js';
import { workload } from '../support/workload.js';
import { deleteKeys } from '../support/test-redis.js';

function expectStatesMatch(actual: ReadonlyMap<string, UserState>, expected: ReadonlyMap<string, RefState>): void {
  const mismatches: string[] = [];
  for (const [userId, ref] of expected) {
    const s = actual.get(userId);
    if (!s) {
      mismatches.push(`${userId}: missing`);
      continue;
    }
    if (s.eventCount !== ref.eventCount) mismatches.push(`${userId}: eventCount ${s.eventCount}, expected ${ref.eventCount}`);
    if ((s.vector === null) !== (ref.vector === null)) mismatches.push(`${userId}: vector ${s.vector === null ? 'null' : 'set'}, expected ${ref.vector === null ? 'null' : 'set'}`);
    else if (s.vector && ref.vector && maxAbsDiff(s.vector, ref.vector) > 1e-5) {
      mismatches.push(`${userId}: max abs diff ${maxAbsDiff(s.vector, ref.vector)}`);
    }
  }
  expect(mismatches.slice(0, 10)).toEqual([]);
}

async function publishAll(h: IngestHarness, events: readonly RefEvent[], chunk = 500): Promise<void> {
  for (let i = 0; i < events.length; i += chunk) await h.publisher.publish(events.slice(i, i + chunk));
}

describe('ingest: a clean pass and a full re-run', () => {
  const w = workload({ seed: 7, items: 150, users: 300, events: 3000, dimension: 16, erase: true });
  const expected = referenceFold(w.events, w.items);
  const suite = ingestSuite(w.items);
  const { h } = suite;

  it('folds 3,000 events for 300 users into the vectors of a plain independent fold, in Redis and the durable store', async () => {
    const ingest = await suite.startIngest();
    await publishAll(h, w.events);
    await h.drained();
    expectStatesMatch(await h.hotStates(w.userIds), expected);
    expectStatesMatch(await h.durableStates(w.userIds), expected);
    const applied = await ingest.metrics.events.get();
    const total = applied.values.filter((v) => v.labels.outcome === 'applied' || v.labels.outcome === 'degenerate').reduce((a, v) => a + v.value, 0);
    expect(total).toBe(w.events.length);
  });

  it('changes no user state when the group offsets are reset to earliest and everything is re-read', async () => {
    const before = await h.hotStates(w.userIds);
    await suite.stopIngest();
    await h.admin.resetOffsets({ groupId: h.groupId, topic: h.config.interactionsTopic, earliest: true });
    const ingest = await suite.startIngest();
    await h.drained();
    const after = await h.hotStates(w.userIds);
    expect(after).toEqual(before);
    const outcomes = (await ingest.metrics.events.get()).values;
    const reApplied = outcomes.filter((v) => v.labels.outcome === 'applied').reduce((a, v) => a + v.value, 0);
    expect(reApplied).toBe(0);
    expectStatesMatch(await h.durableStates(w.userIds), expected);
  });
});

describe('ingest: Redis loses its data mid-run', () => {
  const w = workload({ seed: 11, items: 100, users: 120, events: 2000, dimension: 12 });
  const suite = ingestSuite(w.items);
  const { h } = suite;

  it('rehydrates from the durable store and ends with the correct vectors', async () => {
    const ingest = await suite.startIngest();
    const half = Math.floor(w.events.length / 2);
    await publishAll(h, w.events.slice(0, half));
    await h.drained();
    expect(await deleteKeys(h.redis, `${h.config.redisPrefix}:*`)).toBeGreaterThan(0);
    await publishAll(h, w.events.slice(half));
    await h.drained();
    expectStatesMatch(await h.hotStates(w.userIds), referenceFold(w.events, w.items));
    const rehydrated = (await ingest.metrics.rehydrated.get()).values[0]?.value ?? 0;
    expect(rehydrated).toBeGreaterThan(0);
  });
});
