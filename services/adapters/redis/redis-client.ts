import { Cluster, Redis } from 'ioredis';
import { InterestStreamError } from '../../domain/errors.js';
import type { Logger } from '../../core/logger.js';
import type { RedisSettings } from '../../core/config.js';

export type RedisClient = Redis | Cluster;

/**
 * One Redis connection (or Cluster client) per process. Keys are hash-tagged per user, so the same
 * code runs on a single node and on Redis Cluster (REDIS_CLUSTER=true, REDIS_URL names a seed node).
 */
export function createRedisClient(opts: { url: string; cluster: boolean; logger: Logger }): RedisClient {
  // No auto-pipelining: commands issued together are pipelined on the socket anyway, and ioredis'
  // auto-pipelining crashed the process on very large batches of script calls (ioredis#1931).
  const common = { lazyConnect: true, maxRetriesPerRequest: 3 } as const;
  const client: RedisClient = opts.cluster ? new Cluster([opts.url], { redisOptions: common, lazyConnect: true }) : new Redis(opts.url, common);
  client.on('error', (e: Error) => opts.logger.warn({ err: e }, 'redis connection error'));
  return client;
}

/** The one way processes build their Redis client: REDIS_URL and REDIS_CLUSTER from configuration. */
export function redisForConfig(config: Pick<RedisSettings, 'redisUrl' | 'redisCluster'>, logger: Logger): RedisClient {
  return createRedisClient({ url: config.redisUrl, cluster: config.redisCluster, logger });
}

/** Connects and checks the server answers, translating failures into a retryable coded error. */
export async function connectRedis(client: RedisClient, url: string): Promise<void> {
  try {
    if (client.status === 'wait') await client.connect();
    await client.ping();
  } catch (e) {
    throw new InterestStreamError('STORE_UNAVAILABLE', `cannot reach Redis at ${redactUrl(url)}: ${(e as Error).message}`, { cause: e });
  }
}

/** Redis URLs may carry a password; logs and errors get the URL without it. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/**
 * Registers Lua scripts as commands on a client (ioredis sends EVALSHA and falls back to EVAL) and
 * returns the client typed with them. Several adapters share one client, so a script already
 * registered is left as it is.
 */
export function defineScripts<Commands>(redis: RedisClient, scripts: Record<string, { readonly keys: number; readonly lua: string }>): RedisClient & Commands {
  for (const [name, s] of Object.entries(scripts)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: s.keys, lua: s.lua });
  }
  return redis as RedisClient & Commands;
}
