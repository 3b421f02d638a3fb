import type { Config } from '../core/config.js';
import { RedisKeys } from '../core/names.js';
import type { VectorStore } from '../domain/ports.js';
import type { RedisClient } from '../adapters/redis/redis-client.js';
import { RedisUserKeyStore } from '../adapters/redis/redis-user-key-store.js';
import { VectorStoreKeyArchive } from '../adapters/vector-store/vector-store-key-archive.js';
import { EventOpener, EventSealer, forgetUserKeys } from './shredding.js';
import type { UserKeyStore } from './user-keys.js';

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
