import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Server } from 'node:http';
import type { Config } from '../core/config.js';
import { loadSchema } from '../core/avro/schemas.js';
import { interactionCodec } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { RedisKeys, consumerGroupId, dlqTopic, usersCollection } from '../core/names.js';
import type { PopularityStore, VectorStore } from '../domain/ports.js';
import { DeadLetterPublisher } from '../adapters/kafka/dead-letters.js';
import { kafkaForConfig } from '../adapters/kafka/kafka-client.js';
import { ensureTopic } from '../adapters/kafka/interaction-publisher.js';
import { connectRedis, createRedisClient } from '../adapters/redis/redis-client.js';
import { RedisDirtyUsers } from '../adapters/redis/redis-dirty-users.js';
import { RedisGenerationRegistry } from '../adapters/redis/redis-generation-registry.js';
import { RedisPopularityStore } from '../adapters/redis/redis-popularity-store.js';
import { RedisUserStateStore } from '../adapters/redis/redis-user-state-store.js';
import { createVectorStore } from '../adapters/vector-store/create-vector-store.js';
import { SnapshotClaims } from '../snapshotter/snapshot-claims.js';
import { BatchProcessor } from './batch-processor.js';
import type { HistoryEmitter } from './history-boundaries.js';
import { ItemVectors } from './item-vectors.js';
import { ItemsConsumer } from './items-consumer.js';
import { InteractionsConsumer } from './interactions-consumer.js';
import { createIngestMetrics, serveMetrics, type IngestMetrics } from './metrics.js';
import type { UserState } from '../domain/types.js';

export interface IngestHandle {
  readonly metrics: IngestMetrics;
  readonly metricsPort: number;
  /** Finishes the batch in flight, commits, and closes everything in reverse start order. Idempotent. */
  close(): Promise<void>;
}

export interface IngestOptions {
  /** Where a new consumer group starts: the earliest offset (default; a new generation replays everything) or a time. */
  readonly from?: 'earliest' | Date;
}

/**
 * The ingest composition root: Kafka consumer group `<CONSUMER_GROUP>.<generation>` over the
 * interactions topic, folding into Redis and the users collection, plus the live catalogue consumer.
 */
export async function startIngest(config: Config, logger: Logger, opts: IngestOptions = {}): Promise<IngestHandle> {
  const log = logger.child({ component: 'ingest', generation: config.generation });
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((e: Error) => log.warn({ err: e.message }, 'error while closing'));
  };
  try {
    if (config.schemaRegistryId !== undefined) {
      // Producers that use Confluent framing name the schema by id; this process knows it as ours.
      interactionCodec().registerWriterSchema(loadSchema('InteractionEvent'), config.schemaRegistryId);
    }
    const kafka = kafkaForConfig(config, logger);
    await prepareTopics(kafka, config);
    const redis = createRedisClient({ url: config.redisUrl, cluster: config.redisCluster, logger });
    closers.push(() => redis.quit());
    await connectRedis(redis, config.redisUrl);
    const store = createVectorStore(config, logger);
    await store.start();
    closers.push(() => store.close());
    const dimension = await waitForCatalogue(store, config.itemsCollection, log);
    const users = usersCollection(config.generation);
    await store.ensureCollection(users, dimension);
    await new RedisGenerationRegistry(redis, config.redisPrefix).register({
      name: config.generation,
      createdAt: Date.now(),
      from: opts.from === undefined || opts.from === 'earliest' ? 'earliest' : opts.from.toISOString(),
      consumerGroup: consumerGroupId(config.consumerGroup, config.generation),
      redisPrefix: new RedisKeys(config.redisPrefix, config.generation).prefix,
      usersCollection: users,
      itemsCollection: config.itemsCollection,
      alpha: config.alpha,
      beta: config.beta,
    });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    closers.push(() => producer.disconnect());
    const metrics = createIngestMetrics();
    let running = true;
    const { server, port } = await serveMetrics(metrics.registry, config.metricsPort, () => running);
    closers.push(() => closeServer(server));

    const items = new ItemVectors(store, {
      collection: config.itemsCollection,
      cacheSize: config.itemCacheSize,
      ttlMs: config.itemCacheTtlMs,
      retries: config.unknownItemRetries,
      retryDelayMs: config.unknownItemRetryMs,
    });
    const keys = new RedisKeys(config.redisPrefix, config.generation);
    const popularity: PopularityStore = new RedisPopularityStore(redis, keys, { halfLifeMs: config.popularHalfLifeMs, shards: config.popularShards });
    const deadLetters = new DeadLetterPublisher(producer);
    const processor = (unflushed: (ids: readonly string[]) => Map<string, UserState>) => new BatchProcessor({
      unflushed,
      states: new RedisUserStateStore(redis, keys),
      store,
      usersCollection: users,
      items,
      popularity,
      params: { ...foldParams(config), dimension },
      metrics,
      logger: log,
      deadLetter: (letters) => deadLetters.send(letters),
      history: historyEmitter(config, producer, new SnapshotClaims(redis, keys)),
      dirty: new RedisDirtyUsers(redis, keys, config.dirtyShards),
    });

    const itemsConsumer = new ItemsConsumer({ kafka, config, store, items, dimension, deadLetters, logger: log });
    await itemsConsumer.start();
    closers.push(() => itemsConsumer.close());

    const interactions = new InteractionsConsumer({ kafka, config, processor, store, usersCollection: users, dimension, metrics, logger: log });
    closers.push(() => interactions.close());
    await interactions.start(opts.from ?? 'earliest');
    log.info({ topic: config.interactionsTopic, dimension, metricsPort: port }, 'ingest running');

    let closing: Promise<void> | undefined;
    return {
      metrics,
      metricsPort: port,
      close: () => {
        closing ??= (async () => {
          running = false;
          await closeAll();
          log.info('ingest stopped');
        })();
        return closing;
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** Window-boundary snapshots go to the history topic through the (idempotent) DLQ producer. */
function historyEmitter(config: Config, producer: Producer, claims: SnapshotClaims): HistoryEmitter {
  return {
    intervalMs: config.snapshotIntervalMs,
    generation: config.generation,
    emitted: (userIds) => claims.snapshotted(userIds),
    send: async (records) => {
      if (records.length === 0) return;
      await producer.send({ topic: config.historyTopic, messages: records.map((r) => ({ key: r.userId, value: r.value })) });
    },
  };
}

export function foldParams(config: Config) {
  return {
    alpha: config.alpha,
    beta: config.beta,
    recentViews: config.recentViews,
    seenCap: config.seenCap,
    dislikedCap: config.dislikedCap,
    dedupeWindow: config.dedupeWindow,
  };
}

async function prepareTopics(kafka: Kafka, config: Config): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of [config.interactionsTopic, dlqTopic(config.interactionsTopic), config.itemsTopic, dlqTopic(config.itemsTopic), config.historyTopic]) {
      await ensureTopic(admin, topic, config.topicPartitions);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Ingest needs the catalogue's dimension; until items are imported it waits and says so. */
async function waitForCatalogue(store: VectorStore, collection: string, log: Logger): Promise<number> {
  let lastSaid = 0;
  for (;;) {
    const d = await store.collectionDimension(collection);
    if (d !== undefined) return d;
    if (Date.now() - lastSaid > 10_000) {
      log.warn({ collection }, 'no item catalogue yet: import items first (interest-stream items import <file.jsonl>); waiting');
      lastSaid = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
