import { readFileSync } from 'node:fs';
import { parseApiKeys, type ApiKeySpec } from './api-keys.js';
import { InterestStreamError } from '../domain/errors.js';
import { parsePayloadIndexes, type PayloadIndexSpec } from './payload-indexes.js';
import { DEFAULT_TOPICS, ITEMS_COLLECTION, isValidGeneration } from './names.js';
import { parseBuckets, type Bucket } from '../domain/buckets.js';
import { DEFAULT_AFTER_WAIT_MS } from './consistency-token.js';
import type { MultiInterestParams } from '../domain/multi-interest.js';
import { readMultiInterestConfig } from './multi-interest-config.js';
import { readShredSettings, type ShredSettings } from './shred-config.js';

/**
 * Configuration, read once from environment variables at start-up. Every variable is documented
 * on its field; `loadConfig` lists *all* problems in one error and returns a frozen object.
 * Nothing else in the code base reads `process.env`.
 */
/** Crypto-shredding settings (ERASURE_MODE, SHRED_SECRET…) are documented in core/shred-config.ts. */
export interface Config extends ShredSettings {
  /** KAFKA_BROKERS: comma-separated host:port list. Default `127.0.0.1:19092` (the native stack). */
  readonly kafkaBrokers: readonly string[];
  /** KAFKA_CLIENT_ID: client id reported to the broker. Default `interest-stream`. */
  readonly kafkaClientId: string;
  /** INTERACTIONS_TOPIC: the topic of interaction events. Default `interactions`. */
  readonly interactionsTopic: string;
  /** ITEMS_TOPIC: the topic of live catalogue updates. Default `items`. */
  readonly itemsTopic: string;
  /** ITEMS_COLLECTION: the catalogue collection this generation reads (a new embedding model gets a new one). Default `items`. */
  readonly itemsCollection: string;
  /** HISTORY_TOPIC: the topic of interest snapshots. Default `interest-history`. */
  readonly historyTopic: string;
  /** TOPIC_PARTITIONS: partitions used when the service creates a missing topic. Default 6. */
  readonly topicPartitions: number;
  /** CONSUMER_GROUP: base consumer group id; the generation is appended. Default `interest-stream-ingest`. */
  readonly consumerGroup: string;
  /** REDIS_URL: redis:// URL. Default `redis://127.0.0.1:16379` (the native stack). */
  readonly redisUrl: string;
  /** REDIS_CLUSTER: `true` to connect with ioredis' Cluster client. Default false. */
  readonly redisCluster: boolean;
  /** REDIS_PREFIX: root of every Redis key. Default `is`. */
  readonly redisPrefix: string;
  /** GENERATION: the generation this process writes (ingest) or reads when no pointer is set. Default `g1`. */
  readonly generation: string;
  /** VECTOR_STORE: `embedded` (LanceDB in a directory) or `qdrant`. Default `qdrant` when QDRANT_URL is set, else `embedded`. */
  readonly vectorStore: 'embedded' | 'qdrant';
  /** QDRANT_URL: Qdrant REST endpoint, e.g. http://qdrant:6333. */
  readonly qdrantUrl: string | undefined;
  /** QDRANT_API_KEY: optional Qdrant API key (never logged). */
  readonly qdrantApiKey: string | undefined;
  /** EMBEDDED_STORE_DIR: directory of the embedded vector store. Default `.data/vectors`. */
  readonly embeddedStoreDir: string;
  /** FOLD_ALPHA: EMA weight of a view, in (0, 1]. Default 0.2. */
  readonly alpha: number;
  /** FOLD_BETA: strength of a dislike, > 0. Default 0.5. */
  readonly beta: number;
  /** RECENT_VIEWS: how many last viewed item ids to keep (the `average` strategy). Default 10. */
  readonly recentViews: number;
  /** SEEN_CAP: how many recently seen item ids to keep for exclusion. Default 500. */
  readonly seenCap: number;
  /** DISLIKED_CAP: how many disliked item ids to keep for exclusion. Default 500. */
  readonly dislikedCap: number;
  /** DEDUPE_WINDOW: how many of a user's last event ids are remembered to drop duplicates. Default 1000. */
  readonly dedupeWindow: number;
  /** ITEM_CACHE_SIZE: item vectors cached in-process by ingest (LRU). Default 50000. */
  readonly itemCacheSize: number;
  /** ITEM_CACHE_TTL_MS: how long a cached item vector is trusted. Default 60000. */
  readonly itemCacheTtlMs: number;
  /** UNKNOWN_ITEM_RETRIES: lookups of a missing item before its event goes to the DLQ. Default 3. */
  readonly unknownItemRetries: number;
  /** UNKNOWN_ITEM_RETRY_MS: pause between those lookups. Default 200. */
  readonly unknownItemRetryMs: number;
  /** METRICS_PORT: port of the ingest process' /metrics endpoint; 0 picks a free port. Default 9464. */
  readonly metricsPort: number;
  /** LOG_LEVEL: pino level. Default `info`. */
  readonly logLevel: string;
  /** SHUTDOWN_GRACE_MS: how long SIGTERM waits for the current batch before exiting. Default 10000. */
  readonly shutdownGraceMs: number;
  /** SCHEMA_REGISTRY_ID: when set, events are written with Confluent framing and this schema id. */
  readonly schemaRegistryId: number | undefined;
  /** QUERY_HTTP_PORT: port of the query service's HTTP API; 0 picks a free port. Default 8080. */
  readonly queryHttpPort: number;
  /** QUERY_GRPC_PORT: port of the query service's gRPC API; 0 picks a free port. Default 50051. */
  readonly queryGrpcPort: number;
  /**
   * API_KEYS (comma-separated) and API_KEYS_FILE (a file, one entry a line, `#` comments; e.g. a
   * mounted Kubernetes secret): the keys, together. Entries are `<id>:<read|erase>:<secret>`,
   * `<id>:<read|erase>:sha256:<hex digest>` or a bare `<secret>` (scope erase); see core/api-keys.ts.
   * When any is set, every route but /healthz, /readyz, /metrics and /openapi.json, and every gRPC
   * call but health, needs `Authorization: Bearer <secret>`. None (the default) means no
   * authentication. Only digests are kept; secrets are never logged.
   */
  readonly apiKeys: readonly ApiKeySpec[];
  /** RATE_LIMIT_PER_MINUTE: requests per minute per API key, shared by all replicas through Redis. Default 60000. */
  readonly rateLimitPerMinute: number;
  /** QUERY_MAX_IN_FLIGHT: requests in progress (HTTP and gRPC together) beyond which the query service answers 503 / UNAVAILABLE at once. Default 64. */
  readonly queryMaxInFlight: number;
  /** MAX_LIMIT: the largest `limit` a query may ask for. Default 200. */
  readonly maxLimit: number;
  /** POPULAR_HALF_LIFE_MS: half-life of a view in the cold-start popularity counts. Default 86400000 (one day). */
  readonly popularHalfLifeMs: number;
  /** TREND_WINDOW: snapshots per half (W) of the `trend` strategy; it reads the last 2W. Default 3. */
  readonly trendWindow: number;
  /** HISTORY_SIZE: interest snapshots kept per user (at least 2 × TREND_WINDOW). Default 20. */
  readonly historySize: number;
  /**
   * SNAPSHOT_INTERVAL_MS: length of a snapshot window, in event time: a user's snapshot of window w
   * is their state after their last event stamped (occurredAt) inside w, so a replay rebuilds the same
   * history. Default 3600000 (one hour); from 100 ms, for tests.
   */
  readonly snapshotIntervalMs: number;
  /**
   * SNAPSHOT_LATENESS_MS: how long after a window ends events stamped inside it may still arrive;
   * a window is snapshotted only once it is this far in the past. Default 60000 (capped below the
   * interval).
   */
  readonly snapshotLatenessMs: number;
  /** ERASURE_RECORD_TTL_MS: how long `GET /v1/erasures/{id}` can report an erasure (docs/privacy.md). Default 604800000 (7 days). */
  readonly erasureRecordTtlMs: number;
  /** DIRTY_SHARDS: shards of the changed-users sets the snapshotters split between them (increase only). Default 16. */
  readonly dirtyShards: number;
  /**
   * SNAPSHOT_LEASE_MS: how long a snapshotter holds a shard without renewing it; after a crash the
   * shard resumes on another instance this long after the last renewal. Default 30000.
   */
  readonly snapshotLeaseMs: number;

  // --- query access and bounds (issue 9) ---
  /**
   * RATE_LIMIT_PER_ADDRESS_PER_MINUTE: requests per minute per client address when no API keys are
   * configured, shared by all replicas. Default 0: no per-address limit (a product backend calls
   * from few addresses at a high rate).
   */
  readonly rateLimitPerAddressPerMinute: number;
  /** AUTH_FAILURES_PER_MINUTE: failed authentications per client address per minute before it gets 429. Default 30. */
  readonly authFailuresPerMinute: number;
  /**
   * TRUST_PROXY: Fastify's `trustProxy`, for a query service behind a load balancer: `false` (the
   * default: the client is the peer address), `true` (trust X-Forwarded-For entirely), a number of
   * proxy hops, or a comma list of proxy addresses / CIDRs. Decides the address rate limits key on.
   */
  readonly trustProxy: boolean | number | string;
  /** PUBLISH_TIMEOUT_MS: how long the query service waits for Kafka to take an erasure before answering 503. Default 2000. */
  readonly publishTimeoutMs: number;
  /** HEALTH_MAX_WATCHERS: open gRPC Health/Watch streams beyond which new ones are refused (RESOURCE_EXHAUSTED). Default 100. */
  readonly healthMaxWatchers: number;
  // Partition safety (issue 11): bounded writes and sends, late items, event-time bounds.
  /** MAX_EVENT_AGE_MS: events stamped (occurredAt) further in the past go to the DLQ as INVALID_TIMESTAMP. Unset (the default): no bound, so replays of old topics fold. */
  readonly maxEventAgeMs: number | undefined;
  /** MAX_CLOCK_SKEW_MS: events stamped further in the future than this go to the DLQ as INVALID_TIMESTAMP. Default 300000 (5 minutes). */
  readonly maxClockSkewMs: number;
  /** DURABLE_CHUNK_POINTS: user states per durable upsert request. Default 256. */
  readonly durableChunkPoints: number;
  /** DURABLE_CHUNK_BYTES: estimated encoded (JSON) bytes per durable upsert request; Qdrant refuses requests over 32 MiB by default. Default 8388608 (8 MiB). */
  readonly durableChunkBytes: number;
  /** INGEST_MAX_PENDING_BYTES: estimated heap bytes of states waiting for their durable write beyond which ingest pauses fetching. Default 134217728 (128 MiB). */
  readonly ingestMaxPendingBytes: number;
  /** INGEST_MAX_PENDING_USERS: states waiting for their durable write beyond which ingest pauses fetching. Default 50000. */
  readonly ingestMaxPendingUsers: number;
  /** UNKNOWN_ITEM_PARK_MS: how long an event whose item is not in the catalogue yet is parked and retried before it goes to the DLQ. Default 600000 (10 minutes). */
  readonly unknownItemParkMs: number;
  // --- Recommendation quality (issue 16) ---
  /**
   * TREND_MOMENTUM: γ of the damped trend `normalize(new + γ·(new − old))`; 0 answers the newer
   * half of the history alone, 1 is the article's full extrapolation. Default 1 (see docs/quality.md
   * for how to choose it with `interest-stream evaluate`).
   */
  readonly trendMomentum: number;
  /**
   * HYBRID_LAMBDA: λ of `strategy=hybrid`, score = cosine + λ·log(1 + decayed view count).
   * Default 0.1: on the synthetic workload it gives 3.3× the HR@10 of ema at 60 % catalogue
   * coverage; 0.2 gains 14 % more HR at 40 % coverage (docs/quality.md).
   */
  readonly hybridLambda: number;
  /**
   * IMPRESSIONS_TOPIC: when set, the query service writes every recommendation answer (impression id,
   * user, strategy, bucket, items) to this topic, for attribution, and answers carry `impressionId`.
   * Default unset: none are written.
   */
  readonly impressionsTopic: string | undefined;
  /** MULTI_INTERESTS, MULTI_THRESHOLD, MULTI_HALF_LIFE_MS: strategy=multi (core/multi-interest-config.ts). */
  readonly multi: MultiInterestParams;
  // --- Qdrant in production (issue 14) ---
  /** QDRANT_TIMEOUT_MS: how long one Qdrant request may take before it counts as failed (and is retried). Default 30000. */
  readonly qdrantTimeoutMs: number;
  /** QDRANT_RETRIES: retries of a Qdrant request after a 5xx, 429, timeout or refused connection, with exponential backoff. Default 3. */
  readonly qdrantRetries: number;
  /** QDRANT_RETRY_BASE_MS: delay before the first such retry; doubles each time up to 5 s. Default 200. */
  readonly qdrantRetryBaseMs: number;
  /** QDRANT_UPSERT_MAX_POINTS: most points in one upsert request (larger writes are split). Default 512. */
  readonly qdrantUpsertMaxPoints: number;
  /**
   * QDRANT_MAX_REQUEST_BYTES: most bytes of JSON in one upsert request; keep it below the server's
   * `service.max_request_size_mb` (32 MiB by default), which refuses larger bodies. Default 16777216.
   */
  readonly qdrantMaxRequestBytes: number;
  /** QDRANT_ON_DISK_PAYLOAD: new collections keep payloads on disk rather than in RAM. Default true. */
  readonly qdrantOnDiskPayload: boolean;
  /** QDRANT_SHARDS: shard_number of new collections (spread over a Qdrant cluster's nodes). Default 1. */
  readonly qdrantShards: number;
  /** QDRANT_REPLICATION_FACTOR: replication_factor of new collections. Default 1. */
  readonly qdrantReplicationFactor: number;
  /** QDRANT_WRITE_CONSISTENCY: write_consistency_factor of new collections (at most the replication factor). Default 1. */
  readonly qdrantWriteConsistency: number;
  /**
   * QDRANT_PAYLOAD_INDEXES: payload fields that filters use, as `field:type` (keyword, integer,
   * float, bool), comma-separated, e.g. `category:keyword,year:integer`; indexed on every collection
   * the service creates or opens. Default none.
   */
  readonly qdrantPayloadIndexes: readonly PayloadIndexSpec[];
  /**
   * QDRANT_COLLECTION_PREFIX: prepended to every collection and alias name in Qdrant, so several
   * deployments (or test runs) can share one server. Letters, digits, - and _. Default none.
   */
  readonly qdrantCollectionPrefix: string;

  // --- Kafka security for managed brokers (issue 14) ---
  /** KAFKA_SSL: connect to the brokers over TLS. Default false. */
  readonly kafkaSsl: boolean;
  /** KAFKA_SSL_CA_FILE: PEM file of the CA that signed the brokers' certificates (default: the system's CAs). */
  readonly kafkaSslCaFile: string | undefined;
  /** KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: PEM client certificate and key, for brokers that require mutual TLS (both or neither). */
  readonly kafkaSslCertFile: string | undefined;
  readonly kafkaSslKeyFile: string | undefined;
  /** KAFKA_SASL_MECHANISM: `plain`, `scram-sha-256` or `scram-sha-512`; unset means no SASL. */
  readonly kafkaSaslMechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  /** KAFKA_SASL_USERNAME: the SASL user (needed with a mechanism). */
  readonly kafkaSaslUsername: string | undefined;
  /**
   * KAFKA_SASL_PASSWORD, or KAFKA_SASL_PASSWORD_FILE naming a file whose content (trailing newline
   * removed) is the password, e.g. a mounted secret. Exactly one with a mechanism. Never logged.
   */
  readonly kafkaSaslPassword: string | undefined;
  /**
   * STRATEGY_BUCKETS: A/B assignment of users whose requests name no strategy, e.g.
   * `ema:50,hybrid:50` (strategy:weight, weights relative). Empty (default): such requests get `ema`.
   */
  readonly strategyBuckets: readonly Bucket[];
  /** BUCKET_SALT: salt of the bucket hash; a new salt reassigns every user. Default `interest-stream`. */
  readonly bucketSalt: string;

  // --- Popularity on Redis Cluster (issue 14) ---
  /** POPULAR_SHARDS: sorted sets the popularity counts are spread over (one slot each on Redis Cluster). Default 8. */
  readonly popularShards: number;
  /** POPULAR_CACHE_MS: how long the query process reuses the merged popularity shards it read. Default 1000. */
  readonly popularCacheMs: number;
  /**
   * AFTER_WAIT_MS: how long a query with a consistency token (`?after=`, gRPC `after`) waits for
   * ingest to fold the token's events before answering with `freshness.caughtUp: false`
   * (services/query/read-your-writes.ts). Default 200.
   */
  readonly afterWaitMs: number;
  /**
   * INGEST_FETCH_WAIT_MS: how long the broker may hold ingest's fetch of the interactions topic when
   * no data is there (kafkajs `maxWaitTimeInMs`; `minBytes` stays 1, so data is returned as soon as
   * it arrives). It also bounds how long a shutdown waits for the fetch in flight. Default 500.
   */
  readonly ingestFetchWaitMs: number;
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT: base URL of an OTLP/HTTP collector (spans go to `<url>/v1/traces`,
   * JSON). Unset (the default) turns tracing off: no SDK is loaded and no `traceparent` header is added.
   */
  readonly otlpEndpoint: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string, def: string): string {
    const v = this.env[name];
    return v === undefined || v === '' ? def : v;
  }

  optional(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  num(name: string, def: number, check: (n: number) => boolean, rule: string): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || !check(n)) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: must be ${rule}`);
      return def;
    }
    return n;
  }

  int(name: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    return this.num(name, def, (n) => Number.isInteger(n) && n >= min && n <= max, `an integer from ${min} to ${max}`);
  }

  bool(name: string, def: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return def;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name}=${JSON.stringify(raw)}: must be true or false`);
    return def;
  }

  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
    const raw = this.str(name, def);
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: must be one of ${allowed.join(', ')}`);
      return def;
    }
    return raw as T;
  }
}

/** API_KEYS and the entries of API_KEYS_FILE, parsed together (see core/api-keys.ts). */
function readApiKeys(r: Reader, env: Env): ApiKeySpec[] {
  const entries = r.str('API_KEYS', '').split(',');
  const file = r.optional('API_KEYS_FILE');
  if (file !== undefined) {
    try {
      entries.push(...readFileSync(file, 'utf8').split(/\r?\n/));
    } catch (e) {
      r.problems.push(`API_KEYS_FILE=${JSON.stringify(file)}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const { keys, problems } = parseApiKeys(entries);
  r.problems.push(...problems.map((p) => `API_KEYS${env.API_KEYS_FILE ? ' / API_KEYS_FILE' : ''}: ${p}`));
  return keys;
}

/** TRUST_PROXY as Fastify takes it: a boolean, a hop count, or the proxies' addresses. */
function readTrustProxy(raw: string): boolean | number | string {
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

type KafkaSecurity = Pick<Config, 'kafkaSsl' | 'kafkaSslCaFile' | 'kafkaSslCertFile' | 'kafkaSslKeyFile' | 'kafkaSaslMechanism' | 'kafkaSaslUsername' | 'kafkaSaslPassword'>;

/** TLS and SASL settings; the password may come from a file (read here, once). */
function readKafkaSecurity(r: Reader): KafkaSecurity {
  const kafkaSslCertFile = r.optional('KAFKA_SSL_CERT_FILE');
  const kafkaSslKeyFile = r.optional('KAFKA_SSL_KEY_FILE');
  if ((kafkaSslCertFile === undefined) !== (kafkaSslKeyFile === undefined)) r.problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: set both or neither');
  const mechanismRaw = r.optional('KAFKA_SASL_MECHANISM');
  const kafkaSaslMechanism = mechanismRaw === undefined ? undefined : r.oneOf('KAFKA_SASL_MECHANISM', 'plain', SASL_MECHANISMS);
  const kafkaSaslUsername = r.optional('KAFKA_SASL_USERNAME');
  const inline = r.optional('KAFKA_SASL_PASSWORD');
  const file = r.optional('KAFKA_SASL_PASSWORD_FILE');
  let kafkaSaslPassword = inline;
  if (file !== undefined) {
    if (inline !== undefined) r.problems.push('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE: set one, not both');
    try {
      kafkaSaslPassword = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      r.problems.push(`KAFKA_SASL_PASSWORD_FILE=${JSON.stringify(file)}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  if (kafkaSaslMechanism !== undefined && (kafkaSaslUsername === undefined || kafkaSaslPassword === undefined)) {
    r.problems.push(`KAFKA_SASL_MECHANISM=${kafkaSaslMechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)`);
  }
  return {
    kafkaSsl: r.bool('KAFKA_SSL', false),
    kafkaSslCaFile: r.optional('KAFKA_SSL_CA_FILE'),
    kafkaSslCertFile,
    kafkaSslKeyFile,
    kafkaSaslMechanism,
    kafkaSaslUsername,
    kafkaSaslPassword,
  };
}

/** The strategies a bucket may name: those the query service answers. */
const BUCKET_STRATEGIES = ['ema', 'average', 'trend', 'hybrid', 'multi'];

function readBuckets(r: Reader): Bucket[] {
  try {
    return parseBuckets(r.str('STRATEGY_BUCKETS', ''), BUCKET_STRATEGIES);
  } catch (e) {
    r.problems.push(`STRATEGY_BUCKETS: ${(e as Error).message}`);
    return [];
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const brokers = r
    .str('KAFKA_BROKERS', '127.0.0.1:19092')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const b of brokers) {
    if (!/^[^:\s]+:\d+$/.test(b)) r.problems.push(`KAFKA_BROKERS: ${JSON.stringify(b)} is not host:port`);
  }
  const redisUrl = r.str('REDIS_URL', 'redis://127.0.0.1:16379');
  if (!/^rediss?:\/\//.test(redisUrl)) r.problems.push(`REDIS_URL=${JSON.stringify(redisUrl)}: must start with redis:// or rediss://`);
  const qdrantUrl = r.optional('QDRANT_URL');
  const vectorStore = r.oneOf('VECTOR_STORE', qdrantUrl ? 'qdrant' : 'embedded', ['embedded', 'qdrant'] as const);
  if (vectorStore === 'qdrant' && !qdrantUrl) r.problems.push('VECTOR_STORE=qdrant needs QDRANT_URL');
  const generation = r.str('GENERATION', 'g1');
  if (!isValidGeneration(generation)) {
    r.problems.push(`GENERATION=${JSON.stringify(generation)}: lowercase letters, digits, - and _ only (max 63)`);
  }
  const registryId = r.optional('SCHEMA_REGISTRY_ID');
  const snapshotIntervalMs = r.int('SNAPSHOT_INTERVAL_MS', 3_600_000, 100);
  const trendWindow = r.int('TREND_WINDOW', 3, 1, 1000);
  const historySize = r.int('HISTORY_SIZE', 20, 2, 10_000);
  if (historySize < 2 * trendWindow) r.problems.push(`HISTORY_SIZE=${historySize}: must be at least 2 × TREND_WINDOW (${2 * trendWindow})`);

  const qdrantCollectionPrefix = r.str('QDRANT_COLLECTION_PREFIX', '');
  if (!/^[A-Za-z0-9_-]{0,64}$/.test(qdrantCollectionPrefix)) {
    r.problems.push(`QDRANT_COLLECTION_PREFIX=${JSON.stringify(qdrantCollectionPrefix)}: letters, digits, - and _ only (max 64)`);
  }
  const payloadIndexes = parsePayloadIndexes(r.str('QDRANT_PAYLOAD_INDEXES', ''));
  r.problems.push(...payloadIndexes.problems);
  const qdrantReplicationFactor = r.int('QDRANT_REPLICATION_FACTOR', 1, 1, 100);
  const qdrantWriteConsistency = r.int('QDRANT_WRITE_CONSISTENCY', 1, 1, 100);
  if (qdrantWriteConsistency > qdrantReplicationFactor) {
    r.problems.push(`QDRANT_WRITE_CONSISTENCY=${qdrantWriteConsistency}: must be at most QDRANT_REPLICATION_FACTOR (${qdrantReplicationFactor})`);
  }

  const kafkaSecurity = readKafkaSecurity(r);

  const config: Config = {
    kafkaBrokers: brokers,
    kafkaClientId: r.str('KAFKA_CLIENT_ID', 'interest-stream'),
    interactionsTopic: r.str('INTERACTIONS_TOPIC', DEFAULT_TOPICS.interactions),
    itemsTopic: r.str('ITEMS_TOPIC', DEFAULT_TOPICS.items),
    historyTopic: r.str('HISTORY_TOPIC', DEFAULT_TOPICS.history),
    itemsCollection: r.str('ITEMS_COLLECTION', ITEMS_COLLECTION),
    topicPartitions: r.int('TOPIC_PARTITIONS', 6, 1, 10_000),
    consumerGroup: r.str('CONSUMER_GROUP', 'interest-stream-ingest'),
    redisUrl,
    redisCluster: r.bool('REDIS_CLUSTER', false),
    redisPrefix: r.str('REDIS_PREFIX', 'is'),
    generation,
    vectorStore,
    qdrantUrl,
    qdrantApiKey: r.optional('QDRANT_API_KEY'),
    embeddedStoreDir: r.str('EMBEDDED_STORE_DIR', '.data/vectors'),
    alpha: r.num('FOLD_ALPHA', 0.2, (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
    beta: r.num('FOLD_BETA', 0.5, (n) => n > 0, 'a number above 0'),
    recentViews: r.int('RECENT_VIEWS', 10, 1, 1000),
    seenCap: r.int('SEEN_CAP', 500, 0, 100_000),
    dislikedCap: r.int('DISLIKED_CAP', 500, 0, 100_000),
    dedupeWindow: r.int('DEDUPE_WINDOW', 1000, 0, 100_000),
    itemCacheSize: r.int('ITEM_CACHE_SIZE', 50_000, 1),
    itemCacheTtlMs: r.int('ITEM_CACHE_TTL_MS', 60_000, 0),
    unknownItemRetries: r.int('UNKNOWN_ITEM_RETRIES', 3, 0, 100),
    unknownItemRetryMs: r.int('UNKNOWN_ITEM_RETRY_MS', 200, 0, 60_000),
    metricsPort: r.int('METRICS_PORT', 9464, 0, 65_535),
    logLevel: r.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    shutdownGraceMs: r.int('SHUTDOWN_GRACE_MS', 10_000, 0),
    schemaRegistryId: registryId === undefined ? undefined : r.int('SCHEMA_REGISTRY_ID', 0, 0, 2 ** 31 - 1),
    queryHttpPort: r.int('QUERY_HTTP_PORT', 8080, 0, 65_535),
    queryGrpcPort: r.int('QUERY_GRPC_PORT', 50051, 0, 65_535),
    apiKeys: readApiKeys(r, env),
    rateLimitPerMinute: r.int('RATE_LIMIT_PER_MINUTE', 60_000, 1, 100_000_000),
    queryMaxInFlight: r.int('QUERY_MAX_IN_FLIGHT', 64, 1, 100_000),
    maxLimit: r.int('MAX_LIMIT', 200, 1, 10_000),
    popularHalfLifeMs: r.int('POPULAR_HALF_LIFE_MS', 86_400_000, 1),
    trendWindow,
    historySize,
    snapshotIntervalMs,
    snapshotLatenessMs: Math.min(r.int('SNAPSHOT_LATENESS_MS', 60_000, 0), snapshotIntervalMs - 1),
    dirtyShards: r.int('DIRTY_SHARDS', 16, 1, 4096),
    erasureRecordTtlMs: r.int('ERASURE_RECORD_TTL_MS', 604_800_000, 1000),
    snapshotLeaseMs: r.int('SNAPSHOT_LEASE_MS', 30_000, 100),
    rateLimitPerAddressPerMinute: r.int('RATE_LIMIT_PER_ADDRESS_PER_MINUTE', 0, 0, 100_000_000),
    authFailuresPerMinute: r.int('AUTH_FAILURES_PER_MINUTE', 30, 1, 1_000_000),
    trustProxy: readTrustProxy(r.str('TRUST_PROXY', 'false')),
    publishTimeoutMs: r.int('PUBLISH_TIMEOUT_MS', 2000, 1, 600_000),
    healthMaxWatchers: r.int('HEALTH_MAX_WATCHERS', 100, 0, 100_000),
    maxEventAgeMs: r.optional('MAX_EVENT_AGE_MS') === undefined ? undefined : r.int('MAX_EVENT_AGE_MS', 0, 1),
    maxClockSkewMs: r.int('MAX_CLOCK_SKEW_MS', 300_000, 0),
    durableChunkPoints: r.int('DURABLE_CHUNK_POINTS', 256, 1, 100_000),
    durableChunkBytes: r.int('DURABLE_CHUNK_BYTES', 8 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    ingestMaxPendingBytes: r.int('INGEST_MAX_PENDING_BYTES', 128 * 1024 * 1024, 1024 * 1024),
    ingestMaxPendingUsers: r.int('INGEST_MAX_PENDING_USERS', 50_000, 1),
    unknownItemParkMs: r.int('UNKNOWN_ITEM_PARK_MS', 600_000, 0),
    trendMomentum: r.num('TREND_MOMENTUM', 1, (n) => n >= 0 && n <= 10, 'a number from 0 to 10'),
    hybridLambda: r.num('HYBRID_LAMBDA', 0.1, (n) => n >= 0 && n <= 100, 'a number from 0 to 100'),
    multi: readMultiInterestConfig(r),
    impressionsTopic: r.optional('IMPRESSIONS_TOPIC'),
    strategyBuckets: readBuckets(r),
    bucketSalt: r.str('BUCKET_SALT', 'interest-stream'),
    qdrantTimeoutMs: r.int('QDRANT_TIMEOUT_MS', 30_000, 100),
    qdrantRetries: r.int('QDRANT_RETRIES', 3, 0, 100),
    qdrantRetryBaseMs: r.int('QDRANT_RETRY_BASE_MS', 200, 1, 60_000),
    qdrantUpsertMaxPoints: r.int('QDRANT_UPSERT_MAX_POINTS', 512, 1, 100_000),
    qdrantMaxRequestBytes: r.int('QDRANT_MAX_REQUEST_BYTES', 16 * 1024 * 1024, 4096),
    qdrantOnDiskPayload: r.bool('QDRANT_ON_DISK_PAYLOAD', true),
    qdrantShards: r.int('QDRANT_SHARDS', 1, 1, 1000),
    qdrantReplicationFactor,
    qdrantWriteConsistency,
    qdrantPayloadIndexes: payloadIndexes.indexes,
    qdrantCollectionPrefix,
    ...kafkaSecurity,
    ...readShredSettings(r),
    popularShards: r.int('POPULAR_SHARDS', 8, 1, 1024),
    popularCacheMs: r.int('POPULAR_CACHE_MS', 1000, 0, 600_000),
    afterWaitMs: r.int('AFTER_WAIT_MS', DEFAULT_AFTER_WAIT_MS, 0, 60_000),
    ingestFetchWaitMs: r.int('INGEST_FETCH_WAIT_MS', 500, 1, 30_000),
    otlpEndpoint: otlpEndpoint(r),
  };
  if (r.problems.length > 0) {
    throw new InterestStreamError('CONFIG_INVALID', `invalid configuration:\n  - ${r.problems.join('\n  - ')}`);
  }
  return Object.freeze(config);
}

function otlpEndpoint(r: Reader): string | undefined {
  const raw = r.str('OTEL_EXPORTER_OTLP_ENDPOINT', '');
  if (raw === '') return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(raw)) r.problems.push(`OTEL_EXPORTER_OTLP_ENDPOINT=${JSON.stringify(raw)}: must be an http:// or https:// URL`);
  return raw.replace(/\/+$/, '');
}
