/**
 * Composition root of the query service: connects Redis, the vector store and the Kafka producer,
 * wires the use cases into HTTP and gRPC, and shuts down in order — not-ready first, drain, close.
 */
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { createKafka } from '../adapters/kafka/kafka-client.js';
import { InteractionPublisher } from '../adapters/kafka/interaction-publisher.js';
import { connectRedis, createRedisClient } from '../adapters/redis/redis-client.js';
import { RedisGenerationRegistry } from '../adapters/redis/redis-generation-registry.js';
import { createVectorStore } from '../adapters/vector-store/create-vector-store.js';
import { AccessGuard, InFlightLimit, TokenBucketLimiter } from './access.js';
import { bindGrpc, buildGrpcServer, shutdownGrpc } from './grpc.js';
import { buildHttpServer, shutdownHttp } from './http.js';
import { createQueryMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { OpsSummarySource } from './ops-summary.js';
import { traceRedisCommands, tracedVectorStore } from './tracing.js';
import { Readiness } from './readiness.js';
import { ActiveGenerationViews, generationViewFactory } from './generation-views.js';
import { QueryUseCases } from './use-cases.js';

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
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: config.kafkaClientId, logger: log });
  const publisher = new InteractionPublisher({ kafka, topic: config.interactionsTopic, schemaRegistryId: config.schemaRegistryId, logger: log });
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
  } catch (e) {
    await closeAll();
    throw e;
  }

  const registry = new RedisGenerationRegistry(redis, config.redisPrefix);
  const viewOf = generationViewFactory({ redis, vectors, registry, config, logger: log });
  const useCases = new QueryUseCases({
    generations: new ActiveGenerationViews(() => registry.active(), config.generation, viewOf),
    vectors,
    publisher,
    trendWindow: config.trendWindow,
    logger: log,
  });
  const readiness = new Readiness(
    [
      { name: 'producer', check: async () => void (await admin.describeCluster()) },
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'vectorStore', check: async () => void (await vectors.collectionDimension(config.itemsCollection)) },
    ],
    log,
  );
  const metrics = createQueryMetrics(async () => (await readiness.check()).ready);
  const guard = new AccessGuard(config.apiKeys, new TokenBucketLimiter(config.rateLimitPerMinute), new InFlightLimit(config.queryMaxInFlight));
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
  const http = buildHttpServer({ ...shared, ui, openApi: buildOpenApi(config.maxLimit, config.historySize) });
  const grpc = buildGrpcServer(shared);
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
