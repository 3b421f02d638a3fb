import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { encodeInteraction } from '../../services/core/events.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys, usersCollection } from '../../services/core/names.js';
import type { VectorStore } from '../../services/domain/ports/index.js';
import { DEFAULT_FOLD_PARAMS } from '../../services/domain/types.js';
import { redisNodeIdentity } from '../../services/adapters/redis/redis-node-identity.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { BatchProcessor, type RawRecord } from '../../services/ingest/batch-processor.js';
import { DurableWriter } from '../../services/ingest/durable-writer.js';
import { ItemVectors } from '../../services/ingest/item-vectors.js';
import { createIngestMetrics } from '../../services/ingest/metrics.js';
import { StateTrust } from '../../services/ingest/state-trust.js';
import { UserSource } from '../../services/query/user-source.js';
import { IngestHarness } from '../support/ingest-harness.js';
import type { RefEvent } from '../support/reference-fold.js';
import { mismatches } from '../support/state-checks.js';
import { workload } from '../support/workload.js';

/**
 * Rollback by a query: while a user's newer state waits for its durable write, Redis loses the key
 * and a GET reads the older durable record. The real Redis, the real embedded store and ingest's
 * own components, composed here so the durable write can be held behind a gate deterministically.
 */
describe('a query never rolls a user back', () => {
  it('Rollback: key deleted while the durable write is held, a GET, one more event, the gate opened -> the reference state', async () => {
    const w = workload({ seed: 5, items: 20, users: 1, events: 0, dimension: 8 });
    const h = new IngestHarness({ kafkaBrokers: inject('kafkaBrokers'), redisUrl: inject('redisUrl') });
    onTestFinished(() => h.close());
    await h.store.start();
    await h.importItems(w.items);
    const users = usersCollection('g1');
    await h.store.ensureCollection(users, 8);
    const keys = new RedisKeys(h.config.redisPrefix, 'g1');
    const states = new RedisUserStateStore(h.redis, keys);

    let openGate!: () => void;
    let gate: Promise<void> = Promise.resolve();
    const gated: VectorStore = Object.create(h.store, {
      upsertIfNewer: { value: async (...args: Parameters<VectorStore['upsertIfNewer']>) => (await gate, h.store.upsertIfNewer(...args)) },
    });
    const writer = new DurableWriter({ store: gated, usersCollection: users, dimension: 8, maxPending: 1000, logger: silentLogger(), commit: async () => {} });
    const processor = new BatchProcessor({
      states,
      store: h.store,
      usersCollection: users,
      items: new ItemVectors(h.store, { cacheSize: 100, ttlMs: 60_000, retries: 0, retryDelayMs: 0 }),
      params: { ...DEFAULT_FOLD_PARAMS, dimension: 8 },
      metrics: createIngestMetrics({ defaultMetrics: false }),
      logger: silentLogger(),
      deadLetter: async () => {},
      unflushed: (ids) => writer.get(ids),
      trust: new StateTrust(() => redisNodeIdentity(h.redis)),
    });
    const userId = 'user-rollback';
    const events: RefEvent[] = Array.from({ length: 6 }, (_, i) => ({ eventId: `e${i}`, userId, itemId: `item-${(i * 7) % 20}`, type: i === 3 ? 'DISLIKE' : 'VIEW', weight: 1 }));
    let offset = 0;
    const fold = async (batch: readonly RefEvent[]) => {
      const records: RawRecord[] = batch.map((e) => ({ partition: 0, offset: String(offset++), key: Buffer.from(userId), value: encodeInteraction({ ...e, occurredAt: 1000 + offset }) }));
      const result = await processor.process('t', records);
      await writer.add(result.states, { topic: 't', partition: 0, offset: String(offset) });
    };

    await fold(events.slice(0, 3));
    await writer.drain();
    gate = new Promise((r) => (openGate = r));
    await fold(events.slice(3, 5));
    await states.delete([userId]);

    const served = await new UserSource(states, h.store, 'g1', silentLogger()).load(userId);
    expect(served).toMatchObject({ source: 'durable', state: { eventCount: 3 } });
    expect(await h.redis.exists(keys.user(userId))).toBe(0);

    await fold(events.slice(5));
    openGate();
    await writer.drain();
    const final = new Map([[userId, (await states.getMany([userId])).get(userId)!]]);
    expect(mismatches(final, events, w.items)).toEqual([]);
    expect(mismatches(await h.durableStates([userId]), events, w.items)).toEqual([]);
  });
});
