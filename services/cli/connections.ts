import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { kafkaForConfig } from '../adapters/kafka/kafka-client.js';
import { InteractionPublisher, ensureTopic } from '../adapters/kafka/interaction-publisher.js';
import { createVectorStore } from '../adapters/vector-store/create-vector-store.js';
import { importItems, type ImportResult } from './items-import.js';
import { connectRedis, createRedisClient } from '../adapters/redis/redis-client.js';
import { sealerFor, userKeyStore } from '../shred/compose.js';
import type { EventSealer } from '../shred/shredding.js';
import type { UserKeyStore } from '../shred/user-keys.js';

/** Imports an items file into the configured vector store (opened and closed here). */
export async function importCatalogueFile(file: string, config: Config, logger: Logger): Promise<ImportResult> {
  const store = createVectorStore(config, logger);
  await store.start();
  try {
    return await importItems({ file, store, logger, collection: config.itemsCollection });
  } finally {
    await store.close();
  }
}

/** A started publisher to the interactions topic, which is created first (config.topicPartitions) when missing. */
export async function openInteractionPublisher(config: Config, logger: Logger): Promise<InteractionPublisher> {
  const kafka = kafkaForConfig(config, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopic(admin, config.interactionsTopic, config.topicPartitions).finally(() => admin.disconnect());
  const sealer = config.erasureMode === 'shred' ? await openSealer(config, logger) : undefined;
  const publisher = new InteractionPublisher({ kafka, topic: config.interactionsTopic, schemaRegistryId: config.schemaRegistryId, logger, sealer });
  await publisher.start();
  return publisher;
}

/** The crypto-shredding key store on its own Redis connection and vector store (`close` releases both). */
export async function openKeyStore(config: Config, logger: Logger): Promise<{ store: UserKeyStore; close(): Promise<void> }> {
  const redis = createRedisClient({ url: config.redisUrl, cluster: config.redisCluster, logger });
  await connectRedis(redis, config.redisUrl);
  const vectors = createVectorStore(config, logger);
  await vectors.start();
  return { store: userKeyStore(config, redis, vectors), close: async () => void (await Promise.all([redis.quit(), vectors.close()])) };
}

/** ERASURE_MODE=shred: a sealer with a key store of its own, closed with the publisher. */
async function openSealer(config: Config, logger: Logger): Promise<EventSealer & { close(): Promise<void> }> {
  const keys = await openKeyStore(config, logger);
  return Object.assign(sealerFor(config, keys.store)!, { close: () => keys.close() });
}
