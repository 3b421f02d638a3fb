import { Cluster, Redis } from 'ioredis';
import { InterestStreamError } from '../../domain/errors.js';
import type { Logger } from '../../core/logger.js';
import type { RedisSettings } from '../../core/config.js';
import { readPem } from '../pem.js';

export type RedisClient = Redis | Cluster;

/**
 * One Redis connection (or Cluster client) per process. Keys are hash-tagged per user, so the same
 * code runs on a single node and on Redis Cluster (REDIS_CLUSTER=true, REDIS_URL names a seed node).
 */
export function createRedisClient(opts: { url: string; cluster: boolean; logger: Logger; tlsCa?: string }): RedisClient {
  // No auto-pipelining: commands issued together are pipelined on the socket anyway, and ioredis'
  // auto-pipelining crashed the process on very large batches of script calls (ioredis#1931).
  const common = { lazyConnect: true, maxRetriesPerRequest: 3 } as const;
  const tls = opts.url.startsWith('rediss://') ? { tls: opts.tlsCa === undefined ? {} : { ca: [opts.tlsCa] } } : {};
  let client: RedisClient;
  if (opts.cluster) {
    const { seed, nodeOptions } = clusterOptions(opts.url);
    client = new Cluster([seed], { redisOptions: { ...common, ...nodeOptions, ...tls }, lazyConnect: true });
  } else {
    client = new Redis(opts.url, { ...common, ...tls });
  }
  client.on('error', (e: Error) => opts.logger.warn({ err: e }, 'redis connection error'));
  return client;
}

/**
 * A Redis Cluster URL as ioredis' Cluster client needs it: the seed node to ask, and the credentials
 * every node connects with (TLS for `rediss://` goes to every node too). ioredis applies a seed
 * URL's credentials and scheme to the seed alone: the nodes CLUSTER SLOTS names were reached without
 * them (NOAUTH, or plain TCP to a TLS port), and the client retried forever.
 */
export function clusterOptions(url: string): { seed: { host: string; port: number }; nodeOptions: { username?: string; password?: string } } {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const nodeOptions = {
    ...(u.username === '' ? {} : { username: decodeURIComponent(u.username) }),
    ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }),
  };
  return { seed: { host, port: u.port === '' ? 6379 : Number(u.port) }, nodeOptions };
}

/** The one way processes build their Redis client: REDIS_URL and REDIS_CLUSTER from configuration. */
export function redisForConfig(config: Pick<RedisSettings, 'redisUrl' | 'redisCluster' | 'redisTlsCaFile'>, logger: Logger): RedisClient {
  const tlsCa = config.redisTlsCaFile === undefined ? undefined : readPem('REDIS_TLS_CA_FILE', config.redisTlsCaFile);
  return createRedisClient({ url: config.redisUrl, cluster: config.redisCluster, logger, ...(tlsCa === undefined ? {} : { tlsCa }) });
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
