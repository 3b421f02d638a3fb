/**
 * Crypto-shredding wired from configuration (docs/privacy-shred.md): the Redis key store archived in
 * the vector store, and the sealer and opener over it (domain/shred). It lives on the adapters' floor,
 * like create-vector-store.ts, because it builds adapters from the config and every process needs
 * it: ingest, the query service, the CLI and the package's entry point.
 */
import { loadConfig, type Config } from '../core/config.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { connectRedis, createRedisClient } from './redis/redis-client.js';
import { createVectorStore } from './vector-store/create-vector-store.js';
import { RedisKeys } from '../core/names.js';
import type { UserKeyStore, VectorStore } from '../domain/ports/index.js';
import type { RedisClient } from './redis/redis-client.js';
import { RedisUserKeyStore } from './redis/redis-user-key-store.js';
import { VectorStoreKeyArchive } from './vector-store/vector-store-key-archive.js';
import { EventOpener, EventSealer, forgetUserKeys } from '../domain/shred/shredding.js';

/** The production key store: Redis, with every key archived in the vector store. */
export function userKeyStore(config: Config, redis: RedisClient, store: VectorStore): UserKeyStore {
  return new RedisUserKeyStore(redis, new RedisKeys(config.redisPrefix, config.generation), new VectorStoreKeyArchive(store));
}

/** The sealer publishers use in ERASURE_MODE=shred; undefined in plain mode. */
export function sealerFor(config: Config, keys: UserKeyStore): EventSealer | undefined {
  return config.erasureMode === 'shred' ? new EventSealer(keys, config.shredSecrets[0]!) : undefined;
}

/** What an erasure calls to shred the user's events; a no-op without any SHRED_SECRET (nothing was ever sealed). */
export function keyForgetter(config: Config, keys: UserKeyStore): (userId: string) => Promise<void> {
  return (userId) => forgetUserKeys(keys, config.shredSecrets, userId);
}

/** The opener of sealed events (ingest, evaluate): needs no secret, only the keys. */
export function openerFor(keys: UserKeyStore): EventOpener {
  return new EventOpener(keys);
}

/** The key store on a Redis connection and vector store of its own (`close` releases both). */
export async function openKeyStore(config: Config, logger: Logger): Promise<{ store: UserKeyStore; close(): Promise<void> }> {
  const redis = createRedisClient({ url: config.redisUrl, cluster: config.redisCluster, logger });
  await connectRedis(redis, config.redisUrl);
  const vectors = createVectorStore(config, logger);
  await vectors.start();
  return { store: userKeyStore(config, redis, vectors), close: async () => void (await Promise.all([redis.quit(), vectors.close()])) };
}

/** ERASURE_MODE=shred: a sealer with a key store of its own, to close after the publisher; undefined in plain mode. */
export async function openSealer(config: Config, logger: Logger): Promise<(EventSealer & { close(): Promise<void> }) | undefined> {
  if (config.erasureMode !== 'shred') return undefined;
  const keys = await openKeyStore(config, logger);
  return Object.assign(sealerFor(config, keys.store)!, { close: () => keys.close() });
}

/**
 * For a producing service (the package's entry point): the sealer ERASURE_MODE=shred asks for,
 * configured from environment variables like the services (SHRED_SECRET, REDIS_URL, REDIS_PREFIX,
 * the vector store's settings); undefined in plain mode. Close it after the publisher (the
 * publisher's close does it when it was given the sealer).
 */
export function openShreddingSealer(env: Record<string, string | undefined> = process.env): Promise<(EventSealer & { close(): Promise<void> }) | undefined> {
  return openSealer(loadConfig(env), silentLogger());
}
