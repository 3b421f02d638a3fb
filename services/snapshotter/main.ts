// First: its side effect on process warnings must precede everything that may set a timer.
import '../core/process-warnings.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { Config, GenerationSettings, KafkaSettings, RedisSettings, TopicSettings } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { RedisKeys, dlqTopic, historyFoldGroupId, snapshotTransactionalId } from '../core/names.js';
import { DeadLetterPublisher } from '../adapters/kafka/dead-letters.js';
import { kafkaForConfig, producerConfig } from '../adapters/kafka/kafka-client.js';
import { HISTORY_TOPIC_CONFIG, ensureTopic } from '../adapters/kafka/interaction-publisher.js';
import { cleanupPolicy, isCompacted } from '../adapters/kafka/topic-config.js';
import { connectRedis, redisForConfig, type RedisClient } from '../adapters/redis/redis-client.js';
import { RedisDirtyUsers } from '../adapters/redis/redis-dirty-users.js';
import { RedisHistoryStore } from '../adapters/redis/redis-history-store.js';
import { RedisUserStateStore } from '../adapters/redis/redis-user-state-store.js';
import { HistoryFold } from './history-fold.js';
import { RedisSnapshotClaims } from '../adapters/redis/redis-snapshot-claims.js';
import { RedisShardLeases } from '../adapters/redis/redis-shard-leases.js';
import { Snapshotter } from './snapshotter.js';
import { KafkaHistoryLog } from '../adapters/kafka/kafka-history-log.js';
import { Closers } from '../core/lifecycle.js';
import { processRegistry } from '../core/metrics.js';
import { serveMetrics } from '../core/metrics-server.js';
import { createHistoryFoldMetrics, createSnapshotterMetrics, type HistoryFoldMetrics, type SnapshotterMetrics } from './metrics.js';

/** Users per Kafka transaction in a snapshot run. */
export const SNAPSHOT_BATCH_SIZE = 200;

export interface SnapshotterHandle {
  /** This instance's lease token (host:pid:random); it names the holder in shard lease keys. */
  readonly instanceId: string;
  /** Stops after the chunk in flight and closes everything in reverse start order. Idempotent. */
  close(): Promise<void>;
}

export interface HistoryFoldHandle {
  /** Finishes the batch in flight, commits, and closes everything. Idempotent. */
  close(): Promise<void>;
}

export interface SnapshotterProcessHandle extends SnapshotterHandle {
  /** The port /metrics and /healthz listen on (SNAPSHOTTER_METRICS_PORT, or the one picked for 0). */
  readonly metricsPort: number;
}

/** Metrics nobody serves: for a snapshotter or fold started on its own (tests); the process serves its own. */
function unserved(): Registry {
  return processRegistry({ defaultMetrics: false });
}

/** Runs `start` with a stack to register closers on; closes them in reverse order on failure or close(). */
async function composed(log: Logger, start: (closers: Closers) => Promise<void>): Promise<() => Promise<void>> {
  const closers = new Closers(log);
  await closers.starting(() => start(closers));
  return () => closers.close();
}

/** What both snapshotter processes connect with: the brokers and the history topic, Redis, and their generation's keys. */
type ConnectSettings = KafkaSettings & Pick<TopicSettings, 'historyTopic' | 'topicPartitions'> & RedisSettings & Pick<GenerationSettings, 'generation'>;

async function connectAll(config: ConnectSettings, logger: Logger, closers: Closers): Promise<{ kafka: Kafka; redis: RedisClient; keys: RedisKeys }> {
  const kafka = kafkaForConfig(config, logger);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopic(admin, config.historyTopic, config.topicPartitions, HISTORY_TOPIC_CONFIG);
    // The history fold's dead letters go here. Ingest creates it too, but without it (a snapshotter
    // started before any ingest) one undecodable record stalled the fold, retrying the send forever.
    await ensureTopic(admin, dlqTopic(config.historyTopic), config.topicPartitions);
    const policy = await cleanupPolicy(admin, config.historyTopic);
    if (!isCompacted(policy)) {
      logger.warn({ topic: config.historyTopic, cleanupPolicy: policy ?? null }, 'the history topic is not compacted: erasures cannot remove snapshots from it (set cleanup.policy=compact, docs/privacy.md)');
    }
  } finally {
    await admin.disconnect();
  }
  const redis = redisForConfig(config, logger);
  closers.add(() => redis.quit());
  await connectRedis(redis, config.redisUrl);
  return { kafka, redis, keys: new RedisKeys(config.redisPrefix, config.generation) };
}

/**
 * The snapshotter composition root: every SNAPSHOT_INTERVAL_MS window, snapshots the users ingest
 * marked dirty into the history topic (docs/history.md). Any number of instances may run.
 */
export async function startSnapshotter(config: Config, logger: Logger, metrics: SnapshotterMetrics = createSnapshotterMetrics(unserved())): Promise<SnapshotterHandle> {
  const instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const log = logger.child({ component: 'snapshotter', generation: config.generation, instanceId });
  const close = await composed(log, async (closers) => {
    const { kafka, redis, keys } = await connectAll(config, logger, closers);
    const snapshotter = new Snapshotter({
      history: new KafkaHistoryLog(kafka, config.historyTopic, (shard) => snapshotTransactionalId(config.redisPrefix, config.generation, shard)),
      shards: config.dirtyShards,
      intervalMs: config.snapshotIntervalMs,
      latenessMs: config.snapshotLatenessMs,
      logger: log,
      run: {
        dirty: new RedisDirtyUsers(redis, keys, config.dirtyShards),
        states: new RedisUserStateStore(redis, keys),
        claims: new RedisSnapshotClaims(redis, keys),
        leases: new RedisShardLeases(redis, keys, instanceId, config.snapshotLeaseMs),
        generation: config.generation,
        intervalMs: config.snapshotIntervalMs,
        slots: config.historySize,
        batchSize: SNAPSHOT_BATCH_SIZE,
        now: Date.now,
        logger: log,
        metrics,
      },
    });
    snapshotter.start();
    closers.add(() => snapshotter.close());
    log.info({ topic: config.historyTopic, intervalMs: config.snapshotIntervalMs, shards: config.dirtyShards }, 'snapshotter running');
  });
  return { instanceId, close };
}

/**
 * The history fold composition root: consumer group `<CONSUMER_GROUP>-history.<generation>` over
 * the history topic, keeping each user's last HISTORY_SIZE snapshots in Redis.
 */
export async function startHistoryFold(config: Config, logger: Logger, metrics: HistoryFoldMetrics = createHistoryFoldMetrics(unserved())): Promise<HistoryFoldHandle> {
  const log = logger.child({ component: 'history-fold', generation: config.generation });
  const close = await composed(log, async (closers) => {
    const { kafka, redis, keys } = await connectAll(config, logger, closers);
    const producer = kafka.producer(producerConfig());
    await producer.connect();
    closers.add(() => producer.disconnect());
    const deadLetters = new DeadLetterPublisher(producer);
    const fold = new HistoryFold({
      kafka,
      topic: config.historyTopic,
      groupId: historyFoldGroupId(config.consumerGroup, config.generation),
      generation: config.generation,
      history: new RedisHistoryStore(redis, keys, config.historySize),
      deadLetter: (letters) => deadLetters.send(letters),
      logger: log,
      metrics,
      sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    });
    closers.add(() => fold.close());
    await fold.start();
    log.info({ topic: config.historyTopic, dlq: dlqTopic(config.historyTopic), historySize: config.historySize }, 'history fold running');
  });
  return { close };
}

/**
 * The `snapshotter` process: the history fold (unless `fold` is false) and a snapshotter, both
 * counting into one registry served on SNAPSHOTTER_METRICS_PORT (/metrics; /healthz answers 200
 * from the moment both run until close).
 */
export async function startSnapshotterProcess(config: Config, logger: Logger, opts: { fold?: boolean } = {}): Promise<SnapshotterProcessHandle> {
  const closers = new Closers(logger);
  let running = false;
  const started = await closers.starting(async () => {
    const registry = processRegistry();
    const server = await serveMetrics(registry, config.snapshotterMetricsPort, () => running);
    closers.add(server.close);
    if (opts.fold !== false) {
      const fold = await startHistoryFold(config, logger, createHistoryFoldMetrics(registry));
      closers.add(() => fold.close());
    }
    const snapshotter = await startSnapshotter(config, logger, createSnapshotterMetrics(registry));
    closers.add(() => snapshotter.close());
    logger.info({ metricsPort: server.port }, 'snapshotter metrics on /metrics');
    return { instanceId: snapshotter.instanceId, metricsPort: server.port };
  });
  running = true;
  return {
    ...started,
    close: () => {
      running = false;
      return closers.close();
    },
  };
}
