/**
 * Composition root of the query service: connects Redis, the vector store and the Kafka producer,
 * wires the use cases into HTTP and gRPC, and shuts down in order — not-ready first, drain, close.
 */
// First: its side effect on process warnings must precede everything that may set a timer.
import '../core/process-warnings.js';
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { kafkaForConfig } from '../adapters/kafka/kafka-client.js';
import { ensureTopic, InteractionPublisher } from '../adapters/kafka/interaction-publisher.js';
import { KafkaImpressionPublisher } from '../adapters/kafka/impression-publisher.js';
import { connectRedis, createRedisClient } from '../adapters/redis/redis-client.js';
import { RedisRateLimiter } from '../adapters/redis/redis-rate-limiter.js';
import { RedisErasures } from '../adapters/redis/redis-erasures.js';
import { RedisGenerationRegistry } from '../adapters/redis/redis-generation-registry.js';
import { VectorStoreGenerations } from '../adapters/vector-store/vector-store-generations.js';
import { createVectorStore } from '../adapters/vector-store/create-vector-store.js';
import { AccessGuard, InFlightLimit } from './access.js';
import { bindGrpc, buildGrpcServer, shutdownGrpc } from './grpc.js';
import { buildHttpServer, shutdownHttp } from './http.js';
import { createQueryMetrics, type QueryMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { OpsSummarySource } from './ops-summary.js';
import { traceRedisCommands, tracedVectorStore } from './tracing.js';
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
async function prepareTopic(admin: Admin, config: Config, log: Logger): Promise<void> {
  try {
    if (await ensureTopic(admin, config.interactionsTopic, config.topicPartitions)) log.info({ topic: config.interactionsTopic }, 'created the interactions topic');
  } catch (e) {
    log.warn({ topic: config.interactionsTopic, err: (e as Error).message }, 'cannot create the interactions topic; not ready until it exists');
  }
}

/** The readiness probe of the producer: the broker answers and the topic erasures go to exists. */
async function topicExists(admin: Admin, topic: string): Promise<void> {
  if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist`);
}

/** The impressions publisher when IMPRESSIONS_TOPIC is set (the topic created if missing). */
async function startImpressions(kafka: Kafka, admin: Admin, config: Config, log: Logger, metrics: QueryMetrics): Promise<KafkaImpressionPublisher | undefined> {
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

/** Starts the query service on config.queryHttpPort and config.queryGrpcPort (0 picks free ports). */
export async function startQueryService(config: Config, logger: Logger): Promise<RunningQueryService> {
  const log = logger.child({ component: 'query' });
  const redis = createRedisClient({ url: config.redisUrl, cluster: config.redisCluster, logger: log });
  traceRedisCommands(redis);
  const vectors = tracedVectorStore(createVectorStore(config, log));
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
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of [...closers].reverse()) await close().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'error while closing'));
  };
  try {
    await connectRedis(redis, config.redisUrl);
    closers.push(() => redis.quit());
    await vectors.start();
    closers.push(() => vectors.close());
    await publisher.start();
    closers.push(() => publisher.close());
    await admin.connect();
    closers.push(() => admin.disconnect());
    await prepareTopic(admin, config, log);
  } catch (e) {
    await closeAll();
    throw e;
  }

  const registry = new RedisGenerationRegistry(redis, config.redisPrefix, new VectorStoreGenerations(vectors));
  const viewOf = generationViewFactory(redisGenerationStores(redis, registry, config), { vectors, interactionsTopic: config.interactionsTopic, logger: log });
  const metrics = createQueryMetrics(async () => (await readiness.check()).ready);
  const deps: QueryDeps = {
    generations: new ActiveGenerationViews(() => registry.active(), config.generation, viewOf, async () => (await registry.list()).map((g) => g.name)),
    vectors,
    publisher,
    forgetKeys: keyForgetter(config, userKeys),
    erasures: new RedisErasures(redis, config.redisPrefix, config.erasureRecordTtlMs),
    trendWindow: config.trendWindow,
    logger: log,
    readYourWrites: { topic: config.interactionsTopic, waitMs: config.afterWaitMs },
    ...qualityDeps(config, metrics),
  };
  const impressions = await startImpressions(kafka, admin, config, log, metrics);
  if (impressions !== undefined) closers.push(() => impressions.close());
  const useCases = impressions === undefined ? new QueryUseCases(deps) : new ImpressionRecordingUseCases(deps, impressions);
  const readiness = new Readiness(
    [
      { name: 'producer', check: () => topicExists(admin, config.interactionsTopic) },
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'vectorStore', check: async () => void (await vectors.collectionDimension(config.itemsCollection)) },
      // The active pointer, restored from the durable registry if Redis lost it: never a silent cold start.
      { name: 'generation', check: async () => void (await registry.active()) },
    ],
    log,
  );
  const guard = new AccessGuard(
    config.apiKeys,
    new RedisRateLimiter(redis, config.redisPrefix, log),
    { perKey: config.rateLimitPerMinute, perAddress: config.rateLimitPerAddressPerMinute, authFailures: config.authFailuresPerMinute },
    new InFlightLimit(config.queryMaxInFlight),
  );
  const shared = { useCases, guard, metrics, readiness, limits: { maxLimit: config.maxLimit, historySize: config.historySize }, logger: log };
  const ops = new OpsSummarySource({
    admin,
    redis,
    redisPrefix: config.redisPrefix,
    consumerGroup: config.consumerGroup,
    topic: config.interactionsTopic,
    activeGeneration: async () => (await registry.active()) ?? config.generation,
  });
  const ui = { useCases, vectors, itemsCollection: config.itemsCollection, historySize: config.historySize, ops };
  const http = buildHttpServer({ ...shared, ui, openApi: buildOpenApi(config.maxLimit, config.historySize), trustProxy: config.trustProxy });
  const grpc = buildGrpcServer({ ...shared, healthMaxWatchers: config.healthMaxWatchers });
  let httpPort: number;
  let grpcPort: number;
  try {
    await http.listen({ port: config.queryHttpPort, host: '0.0.0.0' });
    closers.push(() => shutdownHttp(http, config.shutdownGraceMs));
    httpPort = (http.server.address() as { port: number }).port;
    grpcPort = await bindGrpc(grpc.server, config.queryGrpcPort);
    closers.push(() => shutdownGrpc(grpc.server, config.shutdownGraceMs));
  } catch (e) {
    await closeAll();
    throw e;
  }
  log.info({ httpPort, grpcPort, auth: guard.authRequired, generation: config.generation }, 'query service listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      readiness.beginDrain();
      grpc.health.close();
      log.info('query service draining');
      await closeAll();
      log.info('query service stopped');
    })();
    return closing;
  };
  return { httpPort, grpcPort, close };
}
