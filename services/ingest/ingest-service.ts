import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Config, FoldSettings, TopicSettings } from '../core/config.js';
import { loadSchema } from '../core/avro/schemas.js';
import { interactionCodec } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { RedisKeys, consumerGroupId, dlqTopic, usersCollection } from '../core/names.js';
import type { VectorStore } from '../domain/ports/index.js';
import { DeadLetterPublisher } from '../adapters/kafka/dead-letters.js';
import { DEFAULT_MAX_MESSAGE_BYTES, readMaxMessageBytes, usableBytes } from '../adapters/kafka/sized-sends.js';
import { kafkaForConfig, producerConfig } from '../adapters/kafka/kafka-client.js';
import { HISTORY_TOPIC_CONFIG, ensureTopic } from '../adapters/kafka/interaction-publisher.js';
import { connectRedis, redisForConfig, type RedisClient } from '../adapters/redis/redis-client.js';
import { Closers } from '../core/lifecycle.js';
import { RedisDirtyUsers } from '../adapters/redis/redis-dirty-users.js';
import { RedisGenerationRegistry } from '../adapters/redis/redis-generation-registry.js';
import { VectorStoreEraseMarkers } from '../adapters/vector-store/vector-store-erase-markers.js';
import { VectorStoreGenerations } from '../adapters/vector-store/vector-store-generations.js';
import { RedisPopularityStore } from '../adapters/redis/redis-popularity-store.js';
import { foldLegacyPopularityKey } from '../adapters/redis/popularity-legacy-key.js';
import { RedisUserStateStore } from '../adapters/redis/redis-user-state-store.js';
import { RedisIngestProgress } from '../adapters/redis/redis-ingest-progress.js';
import { redisNodeIdentity } from '../adapters/redis/redis-node-identity.js';
import { createVectorStore } from '../adapters/vector-store/create-vector-store.js';
import { RedisSnapshotClaims } from '../adapters/redis/redis-snapshot-claims.js';
import { RedisErasures } from '../adapters/redis/redis-erasures.js';
import { tombstoneOf } from '../domain/tombstone.js';
import { RedisUserPurge } from '../adapters/redis/redis-user-purge.js';
import { ErasureFinisher } from './erasure-finisher.js';
import { BatchProcessor } from './batch-processor.js';
import { historyEmitter, sendHistory } from '../adapters/kafka/kafka-history-emitter.js';
import { ItemVectors } from './item-vectors.js';
import { ItemsConsumer } from './items-consumer.js';
import { InteractionsConsumer } from './interactions-consumer.js';
import { corruptStateReporter } from './stored-states.js';
import { ParkingLot } from './parked-events.js';
import { createIngestMetrics, type IngestMetrics } from './metrics.js';
import { serveMetrics } from '../core/metrics-server.js';
import { StateTrust } from './state-trust.js';
import { RedisOpsStats } from '../adapters/redis/redis-ops-stats.js';
import type { UserState } from '../domain/types.js';
import { retryOnBrokerLoss } from '../adapters/kafka/broker-loss.js';
import { openerFor, userKeyStore } from '../adapters/shredding.js';

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

/** What the stores side of ingest stands on, connected and registered to close. */
interface IngestStores {
  readonly redis: RedisClient;
  readonly store: VectorStore;
  readonly keys: RedisKeys;
  readonly dimension: number;
  readonly users: string;
}

/** Connects Redis and the vector store, waits for the catalogue, and registers this generation. */
async function connectStores(config: Config, logger: Logger, log: Logger, closers: Closers, from: IngestOptions['from']): Promise<IngestStores> {
  const redis = redisForConfig(config, logger);
  closers.add(() => redis.quit());
  await connectRedis(redis, config.redisUrl);
  const store = createVectorStore(config, logger);
  await store.start();
  closers.add(() => store.close());
  const dimension = await waitForCatalogue(store, config.itemsCollection, log);
  const users = usersCollection(config.generation);
  await store.ensureCollection(users, dimension);
  await new RedisGenerationRegistry(redis, config.redisPrefix, new VectorStoreGenerations(store)).register({
    name: config.generation,
    createdAt: Date.now(),
    from: from === undefined || from === 'earliest' ? 'earliest' : from.toISOString(),
    consumerGroup: consumerGroupId(config.consumerGroup, config.generation),
    redisPrefix: new RedisKeys(config.redisPrefix, config.generation).prefix,
    usersCollection: users,
    itemsCollection: config.itemsCollection,
    alpha: config.alpha,
    beta: config.beta,
  });
  return { redis, store, keys: new RedisKeys(config.redisPrefix, config.generation), dimension, users };
}

/** The item vector cache: with parking on, a batch does not wait for missing items (the parked retries do, off its path). */
function itemVectors(config: Config, store: VectorStore, log: Logger): ItemVectors {
  return new ItemVectors(store, {
    onRefreshError: (e) => log.warn({ err: e }, 'background refresh of cached item vectors failed; they are read again when they expire'),
    collection: config.itemsCollection,
    cacheSize: config.itemCacheSize,
    ttlMs: config.itemCacheTtlMs,
    retries: config.unknownItemParkMs > 0 ? 0 : config.unknownItemRetries,
    retryDelayMs: config.unknownItemRetryMs,
  });
}

/** The popularity store, with the counts left in the one key of versions before POPULAR_SHARDS moved into the shards (once). */
async function popularityStore(config: Config, s: IngestStores, log: Logger): Promise<RedisPopularityStore> {
  const popularity = new RedisPopularityStore(s.redis, s.keys, {
    halfLifeMs: config.popularHalfLifeMs,
    futureToleranceMs: config.maxClockSkewMs,
    shards: config.popularShards,
  });
  const folded = await foldLegacyPopularityKey(s.redis, s.keys, popularity, config.popularHalfLifeMs);
  if (folded > 0) log.info({ items: folded }, 'popularity counts of the pre-shard key folded into the shards');
  return popularity;
}

/** What the batch processor shares with the rest of ingest. */
interface ProcessorParts {
  readonly config: Config;
  readonly stores: IngestStores;
  readonly producer: Producer;
  readonly maxMessageBytes: ReadonlyMap<string, number>;
  readonly deadLetters: DeadLetterPublisher;
  readonly items: ItemVectors;
  readonly metrics: IngestMetrics;
  readonly trust: StateTrust;
  readonly parking: ParkingLot;
  readonly ops: RedisOpsStats;
  readonly erasures: RedisErasures;
  readonly log: Logger;
}

/** Wires the batch processor of the interactions consumer (it receives the durable writer's unflushed states). */
async function processorFactory(p: ProcessorParts): Promise<(unflushed: (ids: readonly string[]) => Map<string, UserState>) => BatchProcessor> {
  const { config, stores, producer, maxMessageBytes, deadLetters, metrics, ops, erasures, log } = p;
  const { redis, store, keys, dimension, users } = stores;
  const popularity = await popularityStore(config, stores, log);
  const onCorruptState = corruptStateReporter(metrics, log);
  const finisher = new ErasureFinisher({
    erasures,
    purge: new RedisUserPurge(redis, keys, config.dirtyShards),
    vectors: store,
    usersCollection: users,
    generation: config.generation,
    slots: config.historySize,
    tombstone: (keys) => sendHistory(producer, config.historyTopic, keys.map((key) => ({ key, value: null })), usableBytes(maxMessageBytes.get(config.historyTopic) ?? DEFAULT_MAX_MESSAGE_BYTES)),
  });
  return (unflushed) => new BatchProcessor({
    unflushed,
    states: new RedisUserStateStore(redis, keys, { onCorrupt: (userId, e) => onCorruptState('redis', userId, e) }),
    store,
    usersCollection: users,
    items: p.items,
    popularity,
    params: { ...foldParams(config), dimension },
    opener: openerFor(userKeyStore(config, redis, store)),
    metrics,
    logger: log,
    deadLetter: async (letters) => {
      await deadLetters.send(letters);
      await ops.countDeadLetters(letters);
    },
    history: historyEmitter(config, producer, new RedisSnapshotClaims(redis, keys), { deadLetters, maxMessageBytes }),
    dirty: new RedisDirtyUsers(redis, keys, config.dirtyShards),
    trust: p.trust,
    onCorruptState,
    parking: p.parking,
    eventTime: { maxAgeMs: config.maxEventAgeMs, maxSkewMs: config.maxClockSkewMs },
    erasures: finisher,
    markers: async (ids) => new Map([...(await erasures.markers(ids))].map(([id, m]) => [id, tombstoneOf(m)])),
  });
}

/** Starts the catalogue consumer, then the interactions consumer group (from `from` when the group is new). */
async function startConsumers(p: ProcessorParts, kafka: Kafka, closers: Closers, from: 'earliest' | Date): Promise<void> {
  const { config, stores, items, deadLetters, metrics, trust, parking, log } = p;
  const { store, dimension } = stores;
  const processor = await processorFactory(p);
  const itemsConsumer = new ItemsConsumer({ kafka, config, store, items, dimension, deadLetters, logger: log });
  await itemsConsumer.start();
  closers.add(() => itemsConsumer.close());
  const interactions = new InteractionsConsumer({
    ...{ kafka, config, processor, store, usersCollection: stores.users, dimension, metrics, logger: log, parking },
    progress: new RedisIngestProgress(stores.redis, stores.keys),
    onAssigned: () => trust.forgetAll(),
  });
  closers.add(() => interactions.close());
  await interactions.start(from);
}

/**
 * The ingest composition root: Kafka consumer group `<CONSUMER_GROUP>.<generation>` over the
 * interactions topic, folding into Redis and the users collection, plus the live catalogue consumer.
 */
export async function startIngest(config: Config, logger: Logger, opts: IngestOptions = {}): Promise<IngestHandle> {
  const log = logger.child({ component: 'ingest', generation: config.generation });
  const closers = new Closers(log);
  let running = true;
  const { metrics, port } = await closers.starting(async () => {
    if (config.schemaRegistryId !== undefined) {
      // Producers that use Confluent framing name the schema by id; this process knows it as ours.
      interactionCodec().registerWriterSchema(loadSchema('InteractionEvent'), config.schemaRegistryId);
    }
    const kafka = kafkaForConfig(config, logger);
    const maxMessageBytes = await retryOnBrokerLoss('preparing the topics', () => prepareTopics(kafka, config), log);
    const stores = await connectStores(config, logger, log, closers, opts.from);
    const producer = kafka.producer(producerConfig());
    await producer.connect();
    closers.add(() => producer.disconnect());
    const metrics = createIngestMetrics();
    const { port, close } = await serveMetrics(metrics.registry, config.metricsPort, () => running);
    closers.add(close);
    const ops = new RedisOpsStats(stores.redis, stores.keys.ops(), metrics.freshness, log);
    const parts: ProcessorParts = {
      ...{ config, stores, producer, maxMessageBytes, metrics, ops, log },
      deadLetters: new DeadLetterPublisher(producer, maxMessageBytes),
      items: itemVectors(config, stores.store, log),
      trust: new StateTrust(() => redisNodeIdentity(stores.redis)),
      parking: new ParkingLot(config.unknownItemParkMs),
      erasures: new RedisErasures(stores.redis, config.redisPrefix, config.erasureRecordTtlMs, new VectorStoreEraseMarkers(stores.store), (restored) => {
        metrics.restoredEraseMarkers.inc(restored.length);
        log.warn({ markers: restored.length }, 'erase markers missing from Redis were restored from the durable store: Redis lost data');
      }),
    };
    const mirrored = await parts.erasures.syncMirror();
    if (mirrored > 0) log.info({ markers: mirrored }, 'erase markers copied into the durable store');
    closers.add(ops.start());
    await startConsumers(parts, kafka, closers, opts.from ?? 'earliest');
    log.info({ topic: config.interactionsTopic, dimension: stores.dimension, metricsPort: port }, 'ingest running');
    return { metrics, port };
  });
  let closing: Promise<void> | undefined;
  return {
    metrics,
    metricsPort: port,
    close: () => {
      closing ??= (async () => {
        running = false;
        await closers.close();
        log.info('ingest stopped');
      })();
      return closing;
    },
  };
}

export function foldParams(config: FoldSettings): FoldSettings {
  return {
    alpha: config.alpha,
    beta: config.beta,
    recentViews: config.recentViews,
    seenCap: config.seenCap,
    dislikedCap: config.dislikedCap,
    dedupeWindow: config.dedupeWindow,
    multi: config.multi,
  };
}

/** Creates the topics ingest writes or reads, and returns the max.message.bytes of those it writes. */
async function prepareTopics(kafka: Kafka, config: Pick<TopicSettings, 'interactionsTopic' | 'itemsTopic' | 'historyTopic' | 'topicPartitions'>): Promise<Map<string, number>> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of [config.interactionsTopic, dlqTopic(config.interactionsTopic), config.itemsTopic, dlqTopic(config.itemsTopic), config.historyTopic, dlqTopic(config.historyTopic)]) {
      await ensureTopic(admin, topic, config.topicPartitions, topic === config.historyTopic ? HISTORY_TOPIC_CONFIG : undefined);
    }
    return await readMaxMessageBytes(admin, [dlqTopic(config.interactionsTopic), dlqTopic(config.itemsTopic), dlqTopic(config.historyTopic), config.historyTopic]);
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
