/**
 * The shared Redis as the tests reach it, in the run's topology: one node (the default), or — when
 * the suite runs with REDIS_CLUSTER=true (CI's Node 24 step) — the cluster stack's Redis Cluster,
 * with ioredis' Cluster client, exactly as the services connect (services/adapters/redis). A test's
 * own redis-server (test/support/own-redis.ts) is always a single node.
 */
import { inject } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { createRedisClient, type RedisClient } from '../../services/adapters/redis/redis-client.js';

/** Whether the shared Redis of this run is a Redis Cluster (REDIS_CLUSTER, read as the services read it). */
export function sharedRedisIsCluster(): boolean {
  return loadConfig({ REDIS_CLUSTER: process.env.REDIS_CLUSTER ?? 'false' }).redisCluster;
}

/**
 * REDIS_URL and REDIS_CLUSTER for a service (or child process) on `url`: the shared Redis in this
 * run's topology, any other URL (a test's own redis-server) as a single node.
 */
export function redisEnv(url: string = inject('redisUrl')): { REDIS_URL: string; REDIS_CLUSTER: string } {
  return { REDIS_URL: url, REDIS_CLUSTER: String(url === inject('redisUrl') && sharedRedisIsCluster()) };
}

/** A client of `url` (default: the shared Redis) in its topology; quit it when done. */
export function testRedis(url: string = inject('redisUrl')): RedisClient {
  return createRedisClient({ url, cluster: redisEnv(url).REDIS_CLUSTER === 'true', logger: silentLogger() });
}

/** Every primary behind a client: the one node, or each primary of a Redis Cluster. */
function primaries(redis: RedisClient) {
  return 'nodes' in redis ? redis.nodes('master') : [redis];
}

/** KEYS `pattern` on every primary (a cluster client sends KEYS to one node only). */
export async function keysEverywhere(redis: RedisClient, pattern: string): Promise<string[]> {
  if ('nodes' in redis && redis.status === 'wait') await redis.connect();
  return (await Promise.all(primaries(redis).map((node) => node.keys(pattern)))).flat();
}

/** Deletes the keys matching `pattern` on every primary; one DEL per key, as the keys span many slots. */
export async function deleteKeys(redis: RedisClient, pattern: string): Promise<number> {
  const keys = await keysEverywhere(redis, pattern);
  await Promise.all(keys.map((k) => redis.del(k)));
  return keys.length;
}

/** Deletes the keys under `prefix` and closes the client (a suite's afterAll). */
export async function cleanUp(redis: RedisClient, prefix: string): Promise<void> {
  await deleteKeys(redis, `${prefix}:*`);
  await redis.quit();
}
