/**
 * Composition root of the query service: connects Redis, the vector store and the Kafka producer,
 * wires the use cases into HTTP and gRPC, and shuts down in order — not-ready first, drain, close.
 */
// First: its side effect on process warnings must precede everything that may set a timer.
import '../core/process-warnings.js';
import type { Admin, Kafka } from 'kafkajs';
import type { Config, TopicSettings } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { kafkaForConfig } from '../adapters/kafka/kafka-client.js';
import { ensureTopic, InteractionPublisher } from '../adapters/kafka/interaction-publisher.js';
import { KafkaImpressionPublisher } from '../adapters/kafka/impression-publisher.js';
import { connectRedis, redisForConfig, type RedisClient } from '../adapters/redis/redis-client.js';
import { RedisRateLimiter } from '../adapters/redis/redis-rate-limiter.js';
import { RedisErasures } from '../adapters/redis/redis-erasures.js';
import { RedisGenerationRegistry } from '../adapters/redis/redis-generation-registry.js';
import { VectorStoreEraseMarkers } from '../adapters/vector-store/vector-store-erase-markers.js';
import { VectorStoreGenerations } from '../adapters/vector-store/vector-store-generations.js';
import { createVectorStore, type VectorStoreHooks } from '../adapters/vector-store/create-vector-store.js';
import type { VectorStore } from '../domain/ports/index.js';
import { Closers } from '../core/lifecycle.js';
import { AccessGuard, InFlightLimit, LocalFallbackLimiter } from './access.js';
import { bindGrpc, buildGrpcServer, shutdownGrpc } from './grpc.js';
import { buildHttpServer, shutdownHttp } from './http.js';
import { createQueryMetrics, type QueryMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { OpsSummarySource } from './ops-summary.js';
import { consumerLag } from '../adapters/kafka/consumer-lag.js';
import { readOpsStats } from '../adapters/redis/redis-ops-stats.js';
import { RedisKeys, consumerGroupId } from '../core/names.js';
import { tracedVectorStore } from './tracing.js';
import { traceRedisCommands } from '../adapters/redis/redis-tracing.js';
import { Readiness } from './readiness.js';
import { ActiveGenerationViews, generationViewFactory } from './generation-views.js';
import { redisGenerationStores } from '../adapters/redis/redis-generation-stores.js';
import { QueryUseCases, type QueryDeps } from './use-cases.js';
import { ImpressionRecordingUseCases } from './impressions.js';
import { qualityDeps } from './quality.js';
import { keyForgetter, sealerFor, userKeyStore } from '../adapters/shredding.js';

/**
 * Creates the interactions topic when it is missing, so the first erasure does not wait on kafkajs'
 * metadata retries. A failure (e.g. no permission to create topics) is logged, not fatal: the
 * service then reports not ready until the topic exists.
 */
async function prepareTopic(admin: Admin, config: Pick<TopicSettings, 'interactionsTopic' | 'topicPartitions'>, log: Logger): Promise<void> {
  try {
    if (await ensureTopic(admin, config.interactionsTopic, config.topicPartitions)) log.info({ topic: config.interactionsTopic }, 'created the interactions topic');
  } catch (e) {
    log.warn({ topic: config.interactionsTopic, err: e }, 'cannot create the interactions topic; not ready until it exists');
  }
}

/** The readiness probe of the producer: the broker answers and the topic erasures go to exists. */
async function topicExists(admin: Admin, topic: string): Promise<void> {
  if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist`);
}

/** The impressions publisher when IMPRESSIONS_TOPIC is set (the topic created if missing). */
async function startImpressions(kafka: Kafka, admin: Admin, config: Pick<TopicSettings, 'impressionsTopic' | 'topicPartitions'>, log: Logger, metrics: QueryMetrics): Promise<KafkaImpressionPublisher | undefined> {
  const topic = config.impressionsTopic;
  if (topic === undefined) return undefined;
  if (await ensureTopic(admin, topic, config.topicPartitions)) log.info({ topic }, 'created the impressions topic');
  const publisher = new KafkaImpressionPublisher(kafka, topic, { logger: log, onOutcome: (outcome) => metrics.impressions.inc({ outcome }) });
  await publisher.start();
  return publisher;
}

export interface RunningQueryService {
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Graceful and idempotent: readiness turns false, in-flight requests finish (bounded by SHUTDOWN_GRACE_MS), then connections close. */
  close(): Promise<void>;
}

interface QueryConnections {
  readonly redis: RedisClient;
  readonly vectors: VectorStore;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly publisher: InteractionPublisher;
  readonly userKeys: ReturnType<typeof userKeyStore>;
}

/** Connects Redis, the vector store, the interactions publisher and an admin client, each registered to close. */
async function connect(config: Config, log: Logger, closers: Closers, hooks: VectorStoreHooks): Promise<QueryConnections> {
  const redis = redisForConfig(config, log);
  traceRedisCommands(redis);
  const vectors = tracedVectorStore(createVectorStore(config, log, hooks));
  const kafka = kafkaForConfig(config, log);
  const userKeys = userKeyStore(config, redis, vectors);
  const publisher = new InteractionPublisher({
    sealer: sealerFor(config, userKeys),
    kafka,
    topic: config.interactionsTopic,
    schemaRegistryId: config.schemaRegistryId,
    logger: log,
    timeoutMs: config.publishTimeoutMs,
  });
  const admin = kafka.admin();
  await connectRedis(redis, config.redisUrl);
  closers.add(() => redis.quit());
  await vectors.start();
  closers.add(() => vectors.close());
  await publisher.start();
  closers.add(() => publisher.close());
  await admin.connect();
  closers.add(() => admin.disconnect());
  await prepareTopic(admin, config, log);
  return { redis, vectors, kafka, admin, publisher, userKeys };
}

/** The use cases over the active generation's stores; they also record impressions when IMPRESSIONS_TOPIC is set. */
async function useCasesFor(c: QueryConnections, registry: RedisGenerationRegistry, config: Config, log: Logger, metrics: QueryMetrics, closers: Closers): Promise<QueryUseCases> {
  const viewOf = generationViewFactory(redisGenerationStores(c.redis, registry, config), { vectors: c.vectors, interactionsTopic: config.interactionsTopic, logger: log });
  const deps: QueryDeps = {
    generations: new ActiveGenerationViews(() => registry.active(), config.generation, viewOf, async () => (await registry.list()).map((g) => g.name)),
    vectors: c.vectors,
    publisher: c.publisher,
    forgetKeys: keyForgetter(config, c.userKeys),
    erasures: new RedisErasures(c.redis, config.redisPrefix, config.erasureRecordTtlMs, new VectorStoreEraseMarkers(c.vectors)),
    trendWindow: config.trendWindow,
    logger: log,
    readYourWrites: { topic: config.interactionsTopic, waitMs: config.afterWaitMs },
    ...qualityDeps(config, metrics),
  };
  const impressions = await startImpressions(c.kafka, c.admin, config, log, metrics);
  if (impressions === undefined) return new QueryUseCases(deps);
  closers.add(() => impressions.close());
  return new ImpressionRecordingUseCases(deps, impressions);
}

function readinessOf(c: QueryConnections, registry: RedisGenerationRegistry, config: Config, log: Logger): Readiness {
  return new Readiness(
    [
      { name: 'producer', check: () => topicExists(c.admin, config.interactionsTopic) },
      { name: 'redis', check: async () => void (await c.redis.ping()) },
      { name: 'vectorStore', check: async () => void (await c.vectors.collectionDimension(config.itemsCollection)) },
      // The active pointer, restored from the durable registry if Redis lost it: never a silent cold start.
      { name: 'generation', check: async () => void (await registry.active()) },
    ],
    log,
  );
}

function accessGuard(redis: RedisClient, config: Config, log: Logger, metrics: QueryMetrics): AccessGuard {
  return new AccessGuard(
    config.apiKeys,
    new LocalFallbackLimiter(new RedisRateLimiter(redis, config.redisPrefix), log, (degraded) => metrics.rateLimiterDegraded.set(degraded ? 1 : 0)),
    { perKey: config.rateLimitPerMinute, perAddress: config.rateLimitPerAddressPerMinute, authFailures: config.authFailuresPerMinute },
    new InFlightLimit(config.queryMaxInFlight),
  );
}

function opsSource(c: QueryConnections, registry: RedisGenerationRegistry, config: Config): OpsSummarySource {
  return new OpsSummarySource({
    lag: (generation) => consumerLag(c.admin, consumerGroupId(config.consumerGroup, generation), config.interactionsTopic),
    stats: (generation, now) => readOpsStats(c.redis, new RedisKeys(config.redisPrefix, generation).ops(), now),
    topic: config.interactionsTopic,
    activeGeneration: async () => (await registry.active()) ?? config.generation,
  });
}

/** Binds HTTP then gRPC, each registered to shut down within SHUTDOWN_GRACE_MS. */
async function listen(http: ReturnType<typeof buildHttpServer>, grpc: ReturnType<typeof buildGrpcServer>, config: Config, closers: Closers): Promise<{ httpPort: number; grpcPort: number }> {
  await http.listen({ port: config.queryHttpPort, host: '0.0.0.0' });
  closers.add(() => shutdownHttp(http, config.shutdownGraceMs));
  const httpPort = (http.server.address() as { port: number }).port;
  const grpcPort = await bindGrpc(grpc.server, config.queryGrpcPort);
  closers.add(() => shutdownGrpc(grpc.server, config.shutdownGraceMs));
  return { httpPort, grpcPort };
}

/** Starts the query service on config.queryHttpPort and config.queryGrpcPort (0 picks free ports). */
export async function startQueryService(config: Config, logger: Logger): Promise<RunningQueryService> {
  const log = logger.child({ component: 'query' });
  const closers = new Closers(log);
  // The ANN index starts on the first search, after the metrics exist; the hook is bound before them.
  let metrics: QueryMetrics | undefined;
  const hooks: VectorStoreHooks = { onAnnIndexStart: (s) => metrics?.annIndexStarts.inc({ outcome: s.outcome }) };
  const { grpc, readiness, ports } = await closers.starting(async () => {
    const c = await connect(config, log, closers, hooks);
    const registry = new RedisGenerationRegistry(c.redis, config.redisPrefix, new VectorStoreGenerations(c.vectors));
    const readiness = readinessOf(c, registry, config, log);
    metrics = createQueryMetrics(async () => (await readiness.check()).ready);
    const useCases = await useCasesFor(c, registry, config, log, metrics, closers);
    const guard = accessGuard(c.redis, config, log, metrics);
    const shared = { useCases, guard, metrics, readiness, limits: { maxLimit: config.maxLimit, historySize: config.historySize }, logger: log };
    const ui = { useCases, vectors: c.vectors, itemsCollection: config.itemsCollection, historySize: config.historySize, ops: opsSource(c, registry, config) };
    const http = buildHttpServer({ ...shared, ui, openApi: buildOpenApi(config.maxLimit, config.historySize), trustProxy: config.trustProxy });
    const grpc = buildGrpcServer({ ...shared, healthMaxWatchers: config.healthMaxWatchers });
    const ports = await listen(http, grpc, config, closers);
    log.info({ ...ports, auth: guard.authRequired, generation: config.generation }, 'query service listening');
    return { grpc, readiness, ports };
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      readiness.beginDrain();
      grpc.health.close();
      log.info('query service draining');
      await closers.close();
      log.info('query service stopped');
    })();
    return closing;
  };
  return { ...ports, close };
}
