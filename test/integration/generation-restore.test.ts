import { describe, expect, it, onTestFinished } from 'vitest';
import { runGeneration } from '../../services/cli/generation-command.js';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys, consumerGroupId } from '../../services/core/names.js';
import { waitForCatchUp } from '../../services/adapters/kafka/consumer-lag.js';
import { startIngest } from '../../services/ingest/ingest-service.js';
import { startQueryService } from '../../services/query/main.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RedisGenerationRegistry } from '../../services/adapters/redis/redis-generation-registry.js';
import { EmbeddedVectorStore } from '../../services/adapters/vector-store/embedded-vector-store.js';
import { VectorStoreGenerations } from '../../services/adapters/vector-store/vector-store-generations.js';
import { harnessOnOwnRedis } from '../support/ingest-harness.js';
import { unique } from '../support/names.js';
import { maxAbsDiff } from '../support/reference-fold.js';
import { workload } from '../support/workload.js';
import { testRedis } from '../support/test-redis.js';

/** FLUSHALL on our own redis-server (persistence lost): the active generation must come back, never a cold start. */
describe('generation registry survives a Redis flush', () => {
  it('after activate g2, drop g1 and FLUSHALL, queries answer from g2 and the registry is back in Redis', async () => {
    const { h } = await harnessOnOwnRedis(21002);
    const w = workload({ seed: 8, items: 40, users: 20, events: 400, dimension: 8 });
    await h.importItems(w.items);
    await h.publisher.publish(w.events);
    const configFor = (generation: string) => loadConfig({ ...h.env, GENERATION: generation, QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0', SHUTDOWN_GRACE_MS: '2000' });
    for (const g of ['g1', 'g2']) {
      const ingest = await startIngest(configFor(g), silentLogger());
      await waitForCatchUp(h.admin, consumerGroupId(h.config.consumerGroup, g), h.config.interactionsTopic, { timeoutMs: 60_000 });
      await ingest.close();
    }
    const cli = async (...args: string[]) => {
      const out: string[] = [];
      await runGeneration(args, h.config, silentLogger(), (l) => out.push(l));
      return out.join('\n');
    };
    await cli('activate', 'g2');
    await cli('drop', 'g1');
    await h.redis.flushall();

    // GENERATION=g1 is the fallback: a silent cold start would serve the dropped g1 (nobody known).
    const query = await startQueryService(configFor('g1'), silentLogger());
    onTestFinished(() => query.close());
    const base = `http://127.0.0.1:${query.httpPort}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const userId = w.userIds[0]!;
    const res = await fetch(`${base}/v1/users/${userId}/interest?include=vector`);
    expect(res.status).toBe(200);
    const durable = (await h.store.get('users_g2', [userId])).get(userId)!;
    expect(maxAbsDiff(((await res.json()) as { vector: number[] }).vector, durable.vector)).toBe(0);

    expect(await h.redis.get(RedisKeys.activeGeneration(h.config.redisPrefix))).toBe('g2');
    expect(await cli('list')).toMatch(/\*\tg2\t/);
    expect(await cli('activate', 'g2')).toContain('generation g2 is active');
  });

  it('a registry kept only in Redis (from before the mirror) is copied into the mirror, and comes back from it after its keys are lost', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gen-mirror-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const store = new EmbeddedVectorStore({ directory: dir, logger: silentLogger() });
    await store.start();
    onTestFinished(() => store.close());
    const redis = testRedis();
    onTestFinished(() => void redis.quit());
    const root = unique('gen-mirror');
    const info = { name: 'g1', createdAt: 1, from: 'earliest', consumerGroup: 'c', redisPrefix: `${root}:g1`, usersCollection: 'users_g1', itemsCollection: 'items', alpha: 0.2, beta: 0.5 };
    const plain = new RedisGenerationRegistry(redis, root);
    await plain.register(info);
    await plain.activate('g1');

    const mirror = new VectorStoreGenerations(store);
    await new RedisGenerationRegistry(redis, root, mirror).restore({ syncMirror: true });
    expect(await mirror.active()).toBe('g1');
    expect([...(await mirror.all()).keys()]).toEqual(['g1']);

    // One DEL per key: on Redis Cluster the two keys live in different slots.
    for (const key of [RedisKeys.generations(root), RedisKeys.activeGeneration(root)]) await redis.del(key);
    const mirrored = new RedisGenerationRegistry(redis, root, mirror);
    expect(await mirrored.active()).toBe('g1');
    expect(await mirrored.list()).toEqual([info]);
    for (const key of [RedisKeys.generations(root), RedisKeys.activeGeneration(root)]) await redis.del(key);
  });
});
