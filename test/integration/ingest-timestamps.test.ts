import { describe, expect, it } from 'vitest';
import { RedisKeys } from '../../services/core/names.js';
import { DLQ_HEADERS } from '../../services/adapters/kafka/dead-letters.js';
import { readDeadLetters } from '../../services/adapters/kafka/dlq-reader.js';
import { RedisPopularityStore } from '../../services/adapters/redis/redis-popularity-store.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { workload } from '../support/workload.js';

describe('ingest: timestamps outside the accepted window', () => {
  const w = workload({ seed: 11, items: 5, users: 1, events: 0, dimension: 8 });
  const suite = ingestSuite(w.items);
  const { h } = suite;

  it('dead-letters a view stamped in microseconds as INVALID_TIMESTAMP; cold start stays finite and ordered', async () => {
    await suite.startIngest();
    const now = Date.now();
    await h.publisher.publish([
      { eventId: 'ok-1', userId: 'u-ok', itemId: 'item-1', type: 'VIEW', occurredAt: now - 1000, weight: 2 },
      { eventId: 'ok-2', userId: 'u-ok2', itemId: 'item-2', type: 'VIEW', occurredAt: now, weight: 1 },
      { eventId: 'micro', userId: 'u-micro', itemId: 'item-3', type: 'VIEW', occurredAt: now * 1000, weight: 1 },
    ]);
    await h.drained();

    const dead = await readDeadLetters(h.kafka, `${h.config.interactionsTopic}.dlq`);
    expect(dead.map((d) => d.code)).toEqual(['INVALID_TIMESTAMP']);
    expect(dead[0]!.headers[DLQ_HEADERS.message]).toMatch(/in the future \(MAX_CLOCK_SKEW_MS 300000\)/);
    expect([...(await h.hotStates(['u-ok', 'u-ok2', 'u-micro'])).keys()].sort()).toEqual(['u-ok', 'u-ok2']);

    const popularity = new RedisPopularityStore(h.redis, new RedisKeys(h.config.redisPrefix, h.config.generation), { halfLifeMs: h.config.popularHalfLifeMs });
    const top = await popularity.top(10);
    expect(top.map((t) => t.itemId)).toEqual(['item-1', 'item-2']);
    expect(top.every((t) => Number.isFinite(t.score))).toBe(true);
    expect(top[0]!.score).toBeGreaterThan(top[1]!.score);
  });
});
