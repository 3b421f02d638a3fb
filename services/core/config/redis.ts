import type { Reader } from './reader.js';

/** How to reach Redis, and the root of every key there. */
export interface RedisSettings {
  /** REDIS_URL: redis:// URL. Default `redis://127.0.0.1:16379` (the native stack). */
  readonly redisUrl: string;
  /** REDIS_CLUSTER: `true` to connect with ioredis' Cluster client. Default false. */
  readonly redisCluster: boolean;
  /** REDIS_PREFIX: root of every Redis key. Default `is`. */
  readonly redisPrefix: string;
  /**
   * REDIS_TLS_CA_FILE: PEM file of the CA that signed the Redis server certificates, for `rediss://`
   * with a private CA (default: Node's public roots). Ignored for `redis://`.
   */
  readonly redisTlsCaFile: string | undefined;
}

export function readRedisSettings(r: Reader): RedisSettings {
  const redisUrl = r.str('REDIS_URL', 'redis://127.0.0.1:16379');
  if (!/^rediss?:\/\//.test(redisUrl)) r.problems.push(`REDIS_URL=${JSON.stringify(redisUrl)}: must start with redis:// or rediss://`);
  return {
    redisUrl,
    redisCluster: r.bool('REDIS_CLUSTER', false),
    redisPrefix: r.str('REDIS_PREFIX', 'is'),
    redisTlsCaFile: r.optional('REDIS_TLS_CA_FILE'),
  };
}
