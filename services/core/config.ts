import { InterestStreamError } from './errors.js';
import { DEFAULT_TOPICS, ITEMS_COLLECTION, isValidGeneration } from './names.js';

/**
 * Configuration, read once from environment variables at start-up. Every variable is documented
 * on its field; `loadConfig` lists *all* problems in one error and returns a frozen object.
 * Nothing else in the code base reads `process.env`.
 */
export interface Config {
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
   * API_KEYS: comma-separated keys; when any is set, every /v1 route and gRPC call needs
   * `Authorization: Bearer <key>`. Empty (the default) means no authentication. Never logged.
   */
  readonly apiKeys: readonly string[];
  /** RATE_LIMIT_PER_MINUTE: requests per minute per API key (per client address without keys). Default 600. */
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
  /** DIRTY_SHARDS: shards of the changed-users sets the snapshotters split between them (increase only). Default 16. */
  readonly dirtyShards: number;
  /**
   * SNAPSHOT_LEASE_MS: how long a snapshotter holds a shard without renewing it; after a crash the
   * shard resumes on another instance this long after the last renewal. Default 30000.
   */
  readonly snapshotLeaseMs: number;
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
    apiKeys: r
      .str('API_KEYS', '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    rateLimitPerMinute: r.int('RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    queryMaxInFlight: r.int('QUERY_MAX_IN_FLIGHT', 64, 1, 100_000),
    maxLimit: r.int('MAX_LIMIT', 200, 1, 10_000),
    popularHalfLifeMs: r.int('POPULAR_HALF_LIFE_MS', 86_400_000, 1),
    trendWindow,
    historySize,
    snapshotIntervalMs,
    snapshotLatenessMs: Math.min(r.int('SNAPSHOT_LATENESS_MS', 60_000, 0), snapshotIntervalMs - 1),
    dirtyShards: r.int('DIRTY_SHARDS', 16, 1, 4096),
    snapshotLeaseMs: r.int('SNAPSHOT_LEASE_MS', 30_000, 100),
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
