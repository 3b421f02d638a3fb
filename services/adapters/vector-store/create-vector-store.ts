import type { QdrantSettings, VectorStoreSettings } from '../../core/config.js';
import { InterestStreamError } from '../../domain/errors.js';
import type { Logger } from '../../core/logger.js';
import type { AliasingVectorStore } from '../../domain/ports/index.js';
import type { IndexStart } from './ann-indexes.js';
import { EmbeddedVectorStore } from './embedded-vector-store.js';
import { QdrantVectorStore, type QdrantVectorStoreOptions } from './qdrant-vector-store.js';

/** What a caller may observe of the store it gets (the embedded store's ANN index starts, for metrics). */
export interface VectorStoreHooks {
  readonly onAnnIndexStart?: (start: IndexStart) => void;
}

/** The vector store the configuration selects (not yet started: call `start()`). */
export function createVectorStore(config: VectorStoreSettings, logger: Logger, hooks: VectorStoreHooks = {}): AliasingVectorStore {
  if (config.vectorStore === 'embedded') {
    return new EmbeddedVectorStore({ directory: config.embeddedStoreDir, logger, compactEvery: config.embeddedCompactEvery, ann: { onStart: hooks.onAnnIndexStart, hnsw: config.hnsw } });
  }
  if (config.qdrantUrl === undefined) throw new InterestStreamError('CONFIG_INVALID', 'VECTOR_STORE=qdrant needs QDRANT_URL');
  return new QdrantVectorStore({ url: config.qdrantUrl, apiKey: config.qdrantApiKey, logger, ...qdrantOptions(config) });
}

/** The production settings of the Qdrant adapter, all from configuration. */
export function qdrantOptions(config: QdrantSettings): Omit<QdrantVectorStoreOptions, 'url' | 'apiKey' | 'logger'> {
  return {
    timeoutMs: config.qdrantTimeoutMs,
    collectionPrefix: config.qdrantCollectionPrefix,
    retry: { attempts: config.qdrantRetries + 1, baseDelayMs: config.qdrantRetryBaseMs, maxDelayMs: 5_000 },
    upsertLimits: { maxPoints: config.qdrantUpsertMaxPoints, maxBytes: config.qdrantMaxRequestBytes },
    collections: {
      onDiskPayload: config.qdrantOnDiskPayload,
      shardNumber: config.qdrantShards,
      replicationFactor: config.qdrantReplicationFactor,
      writeConsistencyFactor: config.qdrantWriteConsistency,
      payloadIndexes: config.qdrantPayloadIndexes,
    },
  };
}
