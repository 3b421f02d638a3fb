import { parsePayloadIndexes, type PayloadIndexSpec } from '../payload-indexes.js';
import type { Reader } from './reader.js';

/** Qdrant in production (issue 14): what `qdrantOptions` (adapters/vector-store) hands the Qdrant adapter. */
export interface QdrantSettings {
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
}

/** Which vector store holds the catalogue and the users: what `createVectorStore` (adapters/vector-store) reads. */
export interface VectorStoreSettings extends QdrantSettings {
  /** VECTOR_STORE: `embedded` (LanceDB in a directory) or `qdrant`. Default `qdrant` when QDRANT_URL is set, else `embedded`. */
  readonly vectorStore: 'embedded' | 'qdrant';
  /** QDRANT_URL: Qdrant REST endpoint, e.g. http://qdrant:6333. */
  readonly qdrantUrl: string | undefined;
  /** QDRANT_API_KEY: optional Qdrant API key (never logged). */
  readonly qdrantApiKey: string | undefined;
  /** EMBEDDED_STORE_DIR: directory of the embedded vector store. Default `.data/vectors`. */
  readonly embeddedStoreDir: string;
  /**
   * The embedded store's HNSW index (collections of 5,000 rows or more). HNSW_EF_SEARCH: candidate
   * list size per search (ef; a search needing more candidates uses that many), higher is more
   * recall for more time; changing it keeps the saved index. HNSW_M: graph degree;
   * HNSW_EF_CONSTRUCTION: candidate list while inserting; changing either rebuilds the index on the
   * next start. Defaults 128, 16, 64 (docs/benchmarks.md, "Query"). HNSW_REACH_CHECK (default true):
   * after a build, look every row up by its own vector and score the few the graph does not lead to
   * apart on every search (docs/design.md, "Known limits"; builds take ×1.7-1.85 as long at 20k).
   */
  readonly hnsw: { readonly expansionSearch: number; readonly connectivity: number; readonly expansionAdd: number; readonly reachCheck: boolean };
  /**
   * EMBEDDED_COMPACT_EVERY: the embedded store compacts a table after this many writes of one
   * process. Each write adds a fragment, and every lookup by id scans each fragment: ingest's
   * lookups of users and items slow with them (docs/benchmarks.md, "Freshness"). Default 10.
   */
  readonly embeddedCompactEvery: number;
}

export function readVectorStoreSettings(r: Reader): VectorStoreSettings {
  const qdrantUrl = r.optional('QDRANT_URL');
  const vectorStore = r.oneOf('VECTOR_STORE', qdrantUrl ? 'qdrant' : 'embedded', ['embedded', 'qdrant'] as const);
  if (vectorStore === 'qdrant' && !qdrantUrl) r.problems.push('VECTOR_STORE=qdrant needs QDRANT_URL');
  return {
    vectorStore,
    qdrantUrl,
    qdrantApiKey: r.optional('QDRANT_API_KEY'),
    embeddedStoreDir: r.str('EMBEDDED_STORE_DIR', '.data/vectors'),
    embeddedCompactEvery: r.int('EMBEDDED_COMPACT_EVERY', 10, 1, 100_000),
    hnsw: {
      expansionSearch: r.int('HNSW_EF_SEARCH', 128, 1, 10_000),
      connectivity: r.int('HNSW_M', 16, 2, 256),
      expansionAdd: r.int('HNSW_EF_CONSTRUCTION', 64, 1, 10_000),
      reachCheck: r.bool('HNSW_REACH_CHECK', true),
    },
    ...readQdrantSettings(r),
  };
}

function readQdrantSettings(r: Reader): QdrantSettings {
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
  return {
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
  };
}
