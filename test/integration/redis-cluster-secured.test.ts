/**
 * The services on a secured Redis Cluster (REDIS_CLUSTER=true): a password in REDIS_URL, and TLS
 * (`rediss://`, REDIS_TLS_CA_FILE for a private CA). The shared cluster stack is open, so these
 * clusters are the test's own.
 */
import type { Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectRedis, redisForConfig, type RedisClient } from '../../services/adapters/redis/redis-client.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { loadConfig } from '../../services/core/config.js';
import { RedisKeys } from '../../services/core/names.js';
import { silentLogger } from '../../services/core/logger.js';
import { emptyUserState } from '../../services/domain/fold.js';
import { OwnRedisCluster } from '../support/own-redis-cluster.js';

/** A client built as every service builds it: from the environment, through loadConfig. */
async function serviceClient(env: Record<string, string>): Promise<RedisClient> {
  const client = redisForConfig(loadConfig(env), silentLogger());
  onTestFinished(() => void client.disconnect());
  await connectRedis(client, env.REDIS_URL!);
  return client;
}

/** Writes and reads back 60 users' states: their hash tags spread them over all three primaries. */
async function roundTrip(client: RedisClient): Promise<void> {
  const store = new RedisUserStateStore(client, new RedisKeys('secured', 'g1'));
  const states = Array.from({ length: 60 }, (_, i) => ({ ...emptyUserState(`u${i}`), vector: new Float32Array([i, 1]), eventCount: i + 1, watermark: { partition: 0, offset: String(i) } }));
  await store.putMany(states);
  const back = await store.getMany(states.map((s) => s.userId));
  expect([...back.values()].map((s) => s.eventCount)).toEqual(states.map((s) => s.eventCount));
  const perNode = await Promise.all((client as Cluster).nodes('master').map((n) => n.dbsize()));
  expect(perNode).toHaveLength(3);
  for (const keys of perNode) expect(keys).toBeGreaterThan(0);
}

describe('a secured Redis Cluster', () => {
  it('with a password in REDIS_URL: every node, not only the seed, is reached with it', async () => {
    const cluster = new OwnRedisCluster([21101, 21102, 21103], 'p@ss:w0rd', false);
    onTestFinished(() => cluster.close());
    await cluster.start();
    await roundTrip(await serviceClient({ REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' }));
  });

  it('over TLS (rediss://) with a private CA in REDIS_TLS_CA_FILE, and refused without it', async () => {
    const cluster = new OwnRedisCluster([21111, 21112, 21113], 's3cret', true);
    onTestFinished(() => cluster.close());
    await cluster.start();
    await roundTrip(await serviceClient({ REDIS_URL: cluster.url, REDIS_CLUSTER: 'true', REDIS_TLS_CA_FILE: cluster.caFile! }));
    const untrusting = redisForConfig(loadConfig({ REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' }), silentLogger());
    onTestFinished(() => void untrusting.disconnect());
    await expect(Promise.race([connectRedis(untrusting, cluster.url), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5_000))])).rejects.toThrow();
  });
});
