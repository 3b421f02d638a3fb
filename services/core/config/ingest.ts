import type { Reader } from './reader.js';

/** The ingest process: its item cache, unknown items, event-time bounds, durable writes and backpressure. */
export interface IngestSettings {
  /** ITEM_CACHE_SIZE: item vectors cached in-process by ingest (LRU). Default 50000. */
  readonly itemCacheSize: number;
  /**
   * ITEM_CACHE_TTL_MS: how long a cached item vector is trusted (0: until evicted or updated through
   * the items topic). One used in the second half of it is read again in the background. Default 60000.
   */
  readonly itemCacheTtlMs: number;
  /** UNKNOWN_ITEM_RETRIES: lookups of a missing item before its event goes to the DLQ. Default 3. */
  readonly unknownItemRetries: number;
  /** UNKNOWN_ITEM_RETRY_MS: pause between those lookups. Default 200. */
  readonly unknownItemRetryMs: number;
  /** METRICS_PORT: port of the ingest process' /metrics endpoint; 0 picks a free port. Default 9464. */
  readonly metricsPort: number;
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
  /**
   * INGEST_FETCH_WAIT_MS: how long the broker may hold ingest's fetch of the interactions topic when
   * no data is there (kafkajs `maxWaitTimeInMs`; `minBytes` stays 1, so data is returned as soon as
   * it arrives). It also bounds how long a shutdown waits for the fetch in flight. Default 500.
   */
  readonly ingestFetchWaitMs: number;
  /**
   * INGEST_PARTITIONS_CONCURRENTLY: how many of this process's partitions fold a batch at the same
   * time (kafkajs `partitionsConsumedConcurrently`). Each partition's batches still fold one after
   * another, in offset order; partitions never share a user (the key is the user id). With one at a
   * time a fetch's batches wait for each other, so an event waits for every partition fetched with
   * it (docs/benchmarks.md, "Freshness"). Default 6; 1 restores one batch at a time.
   */
  readonly ingestPartitionsConcurrently: number;
}

export function readIngestSettings(r: Reader): IngestSettings {
  return {
    itemCacheSize: r.int('ITEM_CACHE_SIZE', 50_000, 1),
    itemCacheTtlMs: r.int('ITEM_CACHE_TTL_MS', 60_000, 0),
    unknownItemRetries: r.int('UNKNOWN_ITEM_RETRIES', 3, 0, 100),
    unknownItemRetryMs: r.int('UNKNOWN_ITEM_RETRY_MS', 200, 0, 60_000),
    metricsPort: r.int('METRICS_PORT', 9464, 0, 65_535),
    maxEventAgeMs: r.optionalInt('MAX_EVENT_AGE_MS', 1),
    maxClockSkewMs: r.int('MAX_CLOCK_SKEW_MS', 300_000, 0),
    durableChunkPoints: r.int('DURABLE_CHUNK_POINTS', 256, 1, 100_000),
    durableChunkBytes: r.int('DURABLE_CHUNK_BYTES', 8 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    ingestMaxPendingBytes: r.int('INGEST_MAX_PENDING_BYTES', 128 * 1024 * 1024, 1024 * 1024),
    ingestMaxPendingUsers: r.int('INGEST_MAX_PENDING_USERS', 50_000, 1),
    unknownItemParkMs: r.int('UNKNOWN_ITEM_PARK_MS', 600_000, 0),
    ingestFetchWaitMs: r.int('INGEST_FETCH_WAIT_MS', 500, 1, 30_000),
    ingestPartitionsConcurrently: r.int('INGEST_PARTITIONS_CONCURRENTLY', 6, 1, 1_000),
  };
}
