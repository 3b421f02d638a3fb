/**
 * A running query service over a seeded catalogue, for the query-*.test.ts suites: items in an
 * embedded vector store, users in Redis (and durably), popularity counts, and HTTP + gRPC clients.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadConfig, type Config } from '../../services/core/config.js';
import { silentLogger, type Logger } from '../../services/core/logger.js';
import { RedisKeys, usersCollection } from '../../services/core/names.js';
import { toUserPoint } from '../../services/core/user-record.js';
import type { UserState } from '../../services/domain/types.js';
import { emptyUserState } from '../../services/domain/fold.js';
import type { AliasingVectorStore, VectorPoint } from '../../services/domain/ports/index.js';
import { createKafka } from '../../services/adapters/kafka/kafka-client.js';
import { ensureTopic } from '../../services/adapters/kafka/interaction-publisher.js';
import { createVectorStore } from '../../services/adapters/vector-store/create-vector-store.js';
import { vectorStoreEnv } from './vector-store-env.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { RedisPopularityStore } from '../../services/adapters/redis/redis-popularity-store.js';
import { RedisHistoryStore } from '../../services/adapters/redis/redis-history-store.js';
import { loadProtos } from '../../services/query/grpc-protos.js';
import { startQueryService, type RunningQueryService } from '../../services/query/main.js';
import { unique } from './names.js';
import { cleanUp, redisEnv, testRedis } from './test-redis.js';
import type { RedisClient } from '../../services/adapters/redis/redis-client.js';

export const DIM = 4;
export const GENERATION = 'g1';

/** A deterministic catalogue: 40 items with pseudo-random vectors and payloads to filter on. */
export function catalogue(): VectorPoint[] {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  return Array.from({ length: 40 }, (_, i) => ({
    id: `item-${String(i).padStart(2, '0')}`,
    vector: new Float32Array(Array.from({ length: DIM }, rnd)),
    payload: { category: i % 2 === 0 ? 'scifi' : 'drama', year: 1980 + i },
  }));
}

/**
 * A seeded state. It carries no position by default: it was not folded from the fixture's topic, so
 * an erasure (whose ERASE lands at the topic's end) must find it older than itself.
 */
export function userState(userId: string, over: Partial<UserState> = {}): UserState {
  return { ...emptyUserState(userId), eventCount: 3, lastEventAt: 1_700_000_000_000, watermark: null, ...over };
}

/** Item ids by brute-force cosine similarity to `query`, best first. */
export function bruteForce(items: readonly VectorPoint[], query: Float32Array, exclude: readonly string[], limit: number): Array<{ id: string; score: number }> {
  const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const cos = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0) / (norm(a) * norm(b));
  return items
    .filter((p) => !exclude.includes(p.id))
    .map((p) => ({ id: p.id, score: cos(query, p.vector) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
}

export interface QueryFixture {
  readonly config: Config;
  readonly service: RunningQueryService;
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  readonly vectors: AliasingVectorStore;
  readonly users: RedisUserStateStore;
  readonly popularity: RedisPopularityStore;
  readonly history: RedisHistoryStore;
  readonly items: VectorPoint[];
  // Responses are checked field by field with toEqual/toMatchObject; typing every shape adds nothing.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly http: (path: string, init?: RequestInit & { key?: string | null }) => Promise<{ status: number; body: any; headers: Headers }>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly grpcCall: (method: string, request: object, key?: string | null) => Promise<any>;
  seedDurable(state: UserState): Promise<void>;
  close(): Promise<void>;
}

type UnaryMethod = (request: object, metadata: grpc.Metadata, callback: (err: unknown, res: unknown) => void) => void;

export const API_KEY = 'test-key-0123456789';

/** Starts a seeded service; `env` overrides configuration (API_KEYS defaults to API_KEY). */
export async function startFixture(opts: { redisUrl: string; kafkaBrokers: string; env?: Record<string, string>; logger?: Logger }): Promise<QueryFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'query-'));
  const prefix = unique('q');
  const config = loadConfig({
    ...redisEnv(opts.redisUrl),
    KAFKA_BROKERS: opts.kafkaBrokers,
    REDIS_PREFIX: prefix,
    GENERATION,
    ...vectorStoreEnv(prefix, dir),
    INTERACTIONS_TOPIC: unique('interactions'),
    QUERY_HTTP_PORT: '0',
    QUERY_GRPC_PORT: '0',
    API_KEYS: API_KEY,
    SHUTDOWN_GRACE_MS: '2000',
    ...opts.env,
  });
  const logger = opts.logger ?? silentLogger();
  const admin = createKafka({ brokers: config.kafkaBrokers, clientId: 'query-test', logger }).admin();
  await admin.connect();
  await ensureTopic(admin, config.interactionsTopic, 1);
  await admin.disconnect();

  const vectors = createVectorStore(config, logger);
  await vectors.start();
  const items = catalogue();
  await vectors.ensureCollection(config.itemsCollection, DIM);
  await vectors.upsert(config.itemsCollection, items);
  await vectors.ensureCollection(usersCollection(GENERATION), DIM);

  const redis = testRedis(opts.redisUrl);
  const keys = new RedisKeys(config.redisPrefix, GENERATION);
  const service = await startQueryService(config, logger);
  const protos = loadProtos();
  const client = new protos.recommendations(`127.0.0.1:${service.grpcPort}`, grpc.credentials.createInsecure()) as unknown as Record<string, UnaryMethod> & grpc.Client;

  return {
    config,
    service,
    redis,
    keys,
    vectors,
    users: new RedisUserStateStore(redis, keys),
    popularity: new RedisPopularityStore(redis, keys, { halfLifeMs: config.popularHalfLifeMs, shards: config.popularShards }),
    history: new RedisHistoryStore(redis, keys, config.historySize),
    items,
    async http(path, init = {}) {
      const { key = API_KEY, headers: extra, ...rest } = init;
      const headers: Record<string, string> = { ...(extra as Record<string, string> | undefined), ...(key === null ? {} : { authorization: `Bearer ${key}` }) };
      const res = await fetch(`http://127.0.0.1:${service.httpPort}${path}`, { ...rest, headers });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
    },
    grpcCall(method, request, key = API_KEY) {
      const md = new grpc.Metadata();
      if (key !== null) md.set('authorization', `Bearer ${key}`);
      return new Promise((resolve, reject) => client[method]!.call(client, request, md, (err: unknown, res: unknown) => (err ? reject(err) : resolve(res))));
    },
    async seedDurable(state) {
      await vectors.upsert(usersCollection(GENERATION), [toUserPoint(state, DIM)]);
    },
    async close() {
      client.close();
      await service.close();
      await cleanUp(redis, config.redisPrefix);
      for (const c of [config.itemsCollection, usersCollection(GENERATION)]) await vectors.dropCollection(c).catch(() => {});
      await vectors.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The status, message and `error-field` trailer of a gRPC call that must fail. */
export async function grpcError(p: Promise<unknown>): Promise<{ code: number; details: string; field: unknown }> {
  const e = (await p.then(() => undefined, (x: unknown) => x)) as { code: number; details: string; metadata: { get(k: string): unknown[] } } | undefined;
  if (e === undefined) throw new Error('expected the call to fail');
  return { code: e.code, details: e.details, field: e.metadata.get('error-field')[0] };
}
