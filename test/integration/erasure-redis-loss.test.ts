import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitForCatchUp } from '../../services/adapters/kafka/consumer-lag.js';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys, consumerGroupId, usersCollection } from '../../services/core/names.js';
import { fromUserPoint } from '../../services/core/user-record.js';
import { startIngest } from '../../services/ingest/ingest-service.js';
import { startQueryService } from '../../services/query/main.js';
import { decodeSnapshot } from '../../services/core/events.js';
import { readAll } from '../support/erasure-checks.js';
import { eventually } from '../support/eventually.js';
import { harnessOnOwnRedis } from '../support/ingest-harness.js';
import { workload } from '../support/workload.js';

/**
 * docs/privacy.md: the erase marker must outlive the data Redis holds. A redis-server killed with
 * SIGKILL and started again with its data directory emptied (a restart without persistence, or a
 * failover to a replica that never received the marker) forgets it; the durable copy
 * (vector-store-erase-markers.ts) must still keep a replay from rebuilding the user. The replay
 * reaches the ERASE again in the end; what the marker prevents is the way there: the user's views
 * before the erasure folding into the new generation and their interest published again as
 * snapshots at every window boundary they cross.
 */
const INTERVAL_MS = 1000;
describe('an erasure survives Redis losing its data', () => {
  it('after the erasure completes and Redis restarts empty, a replay into a new generation keeps the user erased and the others rebuilt', async () => {
    const { redis, h } = await harnessOnOwnRedis(21004);
    const w = workload({ seed: 12, items: 30, users: 6, events: 180, dimension: 8 });
    const [erased, bystander] = ['erased-user', 'bystander'];
    // Views across past windows: a replay that folds them publishes a snapshot at each boundary.
    const base = Date.now() - 12 * INTERVAL_MS;
    const acrossWindows = (userId: string) => Array.from({ length: 10 }, (_, i) => ({ eventId: randomUUID(), userId, itemId: `item-${i}`, type: 'VIEW' as const, weight: 1, occurredAt: base + i * (INTERVAL_MS / 2) }));
    await h.importItems(w.items);
    await h.publisher.publish([...w.events, ...acrossWindows(erased), ...acrossWindows(bystander)]);
    const configFor = (generation: string) =>
      loadConfig({ ...h.env, GENERATION: generation, QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0', SHUTDOWN_GRACE_MS: '2000', SNAPSHOT_INTERVAL_MS: String(INTERVAL_MS), SNAPSHOT_LATENESS_MS: '100' });
    const caughtUp = (generation: string) => waitForCatchUp(h.admin, consumerGroupId(h.config.consumerGroup, generation), h.config.interactionsTopic, { timeoutMs: 60_000 });

    const ingest = await startIngest(configFor('g1'), silentLogger());
    const query = await startQueryService(configFor('g1'), silentLogger());
    try {
      await caughtUp('g1');
      const del = await fetch(`http://127.0.0.1:${query.httpPort}/v1/users/${erased}`, { method: 'DELETE' });
      expect(del.status).toBe(202);
      const { erasureId } = (await del.json()) as { erasureId: string };
      await eventually(async () => {
        const status = (await (await fetch(`http://127.0.0.1:${query.httpPort}/v1/erasures/${erasureId}`)).json()) as { status: string };
        return status.status === 'complete' ? true : undefined;
      }, { timeoutMs: 20_000 });
    } finally {
      await query.close();
      await ingest.close();
    }

    await redis.kill();
    rmSync(redis.dir, { recursive: true, force: true });
    mkdirSync(redis.dir);
    await redis.start();
    expect(await h.redis.exists(RedisKeys.eraseMarker(h.config.redisPrefix, erased))).toBe(0);

    const replay = await startIngest(configFor('g2'), silentLogger());
    try {
      await caughtUp('g2');
      // What an operator sees: one marker Redis had lost, put back.
      expect((await replay.metrics.restoredEraseMarkers.get()).values[0]?.value).toBe(1);
    } finally {
      await replay.close();
    }
    const g2Snapshots = (await readAll(h.kafka, h.config.historyTopic))
      .filter((m) => m.value !== null)
      .map((m) => decodeSnapshot(m.value!))
      .filter((s) => s.generation === 'g2');
    expect(g2Snapshots.filter((s) => s.userId === erased)).toEqual([]);
    expect(g2Snapshots.filter((s) => s.userId === bystander).length).toBeGreaterThan(0); // the same views of another user do publish
    const durable = await h.store.get(usersCollection('g2'), [erased, bystander, ...w.userIds]);
    expect(fromUserPoint(durable.get(erased)!)).toMatchObject({ erased: true, vector: null, eventCount: 0, seen: [], recentViews: [] });
    for (const userId of [bystander, ...w.userIds]) expect(fromUserPoint(durable.get(userId)!)).toMatchObject({ erased: false, vector: expect.any(Float32Array) });
    // The marker is back in Redis too, for the history store's checks.
    expect(await h.redis.hget(RedisKeys.eraseMarker(h.config.redisPrefix, erased), 'w')).toMatch(/^\d+:\d+$/);
  });
});
