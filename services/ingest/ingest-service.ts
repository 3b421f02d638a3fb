import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Server } from 'node:http';
import type { Config } from '../core/config.js';
import { loadSchema } from '../core/avro/schemas.js';
import { interactionCodec } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { RedisKeys, consumerGroupId, dlqTopic, usersCollection } from '../core/names.js';
import type { DeadLetter, SnapshotClaims, VectorStore } from '../domain/ports/index.js';
import { DeadLetterPublisher } from '../adapters/kafka/dead-letters.js';
import { DEFAULT_MAX_MESSAGE_BYTES, chunkMessages, readMaxMessageBytes, recordBytes, usableBytes } from '../adapters/kafka/sized-sends.js';
import { InterestStreamError } from '../domain/errors.js';
import { kafkaForConfig, producerConfig } from '../adapters/kafka/kafka-client.js';
import { HISTORY_TOPIC_CONFIG, ensureTopic } from '../adapters/kafka/interaction-publisher.js';
import { connectRedis, createRedisClient } from '../adapters/redis/redis-client.js';
import { RedisDirtyUsers } from '../adapters/redis/redis-dirty-users.js';
import { RedisGenerationRegistry } from '../adapters/redis/redis-generation-registry.js';
import { VectorStoreGenerations } from '../adapters/vector-store/vector-store-generations.js';
import { RedisPopularityStore } from '../adapters/redis/redis-popularity-store.js';
import { foldLegacyPopularityKey } from '../adapters/redis/popularity-legacy-key.js';
import { RedisUserStateStore } from '../adapters/redis/redis-user-state-store.js';
import { RedisIngestProgress } from '../adapters/redis/redis-ingest-progress.js';
import { redisNodeIdentity } from '../adapters/redis/redis-node-identity.js';
import { createVectorStore } from '../adapters/vector-store/create-vector-store.js';
import { RedisSnapshotClaims } from '../adapters/redis/redis-snapshot-claims.js';
import { RedisErasures, tombstoneOf } from '../adapters/redis/redis-erasures.js';
import { RedisUserPurge } from '../adapters/redis/redis-user-purge.js';
import { ErasureFinisher } from './erasure-finisher.js';
import { historyMessage } from '../core/history-records.js';
import { BatchProcessor } from './batch-processor.js';
import type { HistoryEmitter } from './history-boundaries.js';
import { ItemVectors } from './item-vectors.js';
import { ItemsConsumer } from './items-consumer.js';
import { InteractionsConsumer } from './interactions-consumer.js';
import { corruptStateReporter } from './stored-states.js';
import { ParkingLot } from './parked-events.js';
import { createIngestMetrics, serveMetrics, type IngestMetrics } from './metrics.js';
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
    const maxMessageBytes = await retryOnBrokerLoss('preparing the topics', () => prepareTopics(kafka, config), log);
    const redis = createRedisClient({ url: config.redisUrl, cluster: config.redisCluster, logger });
    closers.push(() => redis.quit());
    await connectRedis(redis, config.redisUrl);
    const store = createVectorStore(config, logger);
    await store.start();
    closers.push(() => store.close());
    const dimension = await waitForCatalogue(store, config.itemsCollection, log);
    const users = usersCollection(config.generation);
    await store.ensureCollection(users, dimension);
    await new RedisGenerationRegistry(redis, config.redisPrefix, new VectorStoreGenerations(store)).register({
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

    const producer = kafka.producer(producerConfig());
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
      // With parking on, a batch does not wait for missing items: the parked retries do, off its path.
      retries: config.unknownItemParkMs > 0 ? 0 : config.unknownItemRetries,
      retryDelayMs: config.unknownItemRetryMs,
    });
    const keys = new RedisKeys(config.redisPrefix, config.generation);
    const popularity = new RedisPopularityStore(redis, keys, {
      halfLifeMs: config.popularHalfLifeMs,
      futureToleranceMs: config.maxClockSkewMs,
      shards: config.popularShards,
    });
    // Counts left in the one key of versions before POPULAR_SHARDS move into the shards, once.
    const folded = await foldLegacyPopularityKey(redis, keys, popularity, config.popularHalfLifeMs);
    if (folded > 0) log.info({ items: folded }, 'popularity counts of the pre-shard key folded into the shards');
    const deadLetters = new DeadLetterPublisher(producer, maxMessageBytes);
    const trust = new StateTrust(() => redisNodeIdentity(redis));
    const onCorruptState = corruptStateReporter(metrics, log);
    const parking = new ParkingLot(config.unknownItemParkMs);
    const ops = new RedisOpsStats(redis, keys.ops(), metrics.freshness, log);
    const erasures = new RedisErasures(redis, config.redisPrefix, config.erasureRecordTtlMs);
    const finisher = new ErasureFinisher({
      erasures,
      purge: new RedisUserPurge(redis, keys, config.dirtyShards),
      vectors: store,
      usersCollection: users,
      generation: config.generation,
      slots: config.historySize,
      tombstone: (keys) => sendHistory(producer, config.historyTopic, keys.map((key) => ({ key, value: null })), usableBytes(maxMessageBytes.get(config.historyTopic) ?? DEFAULT_MAX_MESSAGE_BYTES)),
    });
    closers.push(ops.start());
    const processor = (unflushed: (ids: readonly string[]) => Map<string, UserState>) => new BatchProcessor({
      unflushed,
      states: new RedisUserStateStore(redis, keys, { onCorrupt: (userId, e) => onCorruptState('redis', userId, e) }),
      store,
      usersCollection: users,
      items,
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
      trust,
      onCorruptState,
      parking,
      eventTime: { maxAgeMs: config.maxEventAgeMs, maxSkewMs: config.maxClockSkewMs },
      erasures: finisher,
      markers: async (ids) => new Map([...(await erasures.markers(ids))].map(([id, m]) => [id, tombstoneOf(m)])),
    });

    const itemsConsumer = new ItemsConsumer({ kafka, config, store, items, dimension, deadLetters, logger: log });
    await itemsConsumer.start();
    closers.push(() => itemsConsumer.close());

    const interactions = new InteractionsConsumer({
      ...{ kafka, config, processor, store, usersCollection: users, dimension, metrics, logger: log, parking },
      progress: new RedisIngestProgress(redis, keys),
      onAssigned: () => trust.forgetAll(),
    });
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

/**
 * Window-boundary snapshots go to the history topic through the (idempotent) DLQ producer, in sends
 * under the topic's max.message.bytes; a record that cannot fit at all is dead-lettered instead.
 */
function historyEmitter(
  config: Config,
  producer: Producer,
  claims: SnapshotClaims,
  sizes: { deadLetters: DeadLetterPublisher; maxMessageBytes: ReadonlyMap<string, number> },
): HistoryEmitter {
  const limit = usableBytes(sizes.maxMessageBytes.get(config.historyTopic) ?? DEFAULT_MAX_MESSAGE_BYTES);
  return {
    intervalMs: config.snapshotIntervalMs,
    generation: config.generation,
    emitted: (userIds) => claims.snapshotted(userIds),
    send: async (records) => {
      const all = records.map((r) => historyMessage(r, config.historySize));
      const fits = (m: { key: string; value: Buffer | null }) => recordBytes(m) <= limit;
      await sizes.deadLetters.send(all.filter((m) => !fits(m)).map((m) => oversizedLetter(config.historyTopic, m.key, m.value, limit)));
      await sendHistory(producer, config.historyTopic, all.filter(fits), limit);
    },
  };
}

/** Sends history messages in requests under the topic's max.message.bytes (`limit` usable). */
async function sendHistory(producer: Producer, topic: string, messages: ReadonlyArray<{ key: string; value: Buffer | null }>, limit: number): Promise<void> {
  for (const chunk of chunkMessages([...messages], limit)) {
    await producer.send({ topic, messages: chunk });
  }
}

function oversizedLetter(topic: string, key: string, value: Buffer | null, limit: number): DeadLetter {
  const error = new InterestStreamError('INVALID_INPUT', `record of ${value?.length ?? 0} bytes does not fit ${topic}'s max.message.bytes (${limit} usable)`);
  return { topic, partition: -1, offset: '-1', key: Buffer.from(key), value, headers: undefined, error };
}

export function foldParams(config: Config) {
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
async function prepareTopics(kafka: Kafka, config: Config): Promise<Map<string, number>> {
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

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
