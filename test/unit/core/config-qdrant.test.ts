import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.js';
import { qdrantOptions } from '../../../services/adapters/vector-store/create-vector-store.js';

describe('Qdrant settings', () => {
  it('default to what a stock Qdrant accepts', () => {
    expect(qdrantOptions(loadConfig({}))).toEqual({
      timeoutMs: 30_000,
      collectionPrefix: '',
      retry: { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 },
      upsertLimits: { maxPoints: 512, maxBytes: 16 * 1024 * 1024 },
      collections: { onDiskPayload: true, shardNumber: 1, replicationFactor: 1, writeConsistencyFactor: 1, payloadIndexes: [] },
    });
  });

  it('come from the environment', () => {
    const config = loadConfig({
      QDRANT_TIMEOUT_MS: '5000',
      QDRANT_RETRIES: '0',
      QDRANT_UPSERT_MAX_POINTS: '100',
      QDRANT_MAX_REQUEST_BYTES: '1048576',
      QDRANT_ON_DISK_PAYLOAD: 'false',
      QDRANT_SHARDS: '6',
      QDRANT_REPLICATION_FACTOR: '3',
      QDRANT_WRITE_CONSISTENCY: '2',
      QDRANT_PAYLOAD_INDEXES: 'category:keyword,year:integer',
    });
    expect(qdrantOptions(config)).toMatchObject({
      timeoutMs: 5000,
      retry: { attempts: 1 },
      upsertLimits: { maxPoints: 100, maxBytes: 1_048_576 },
      collections: { onDiskPayload: false, shardNumber: 6, replicationFactor: 3, writeConsistencyFactor: 2, payloadIndexes: [{ field: 'category', type: 'keyword' }, { field: 'year', type: 'integer' }] },
    });
  });

  it('name every bad value', () => {
    expect(() => loadConfig({ QDRANT_WRITE_CONSISTENCY: '3', QDRANT_REPLICATION_FACTOR: '2', QDRANT_PAYLOAD_INDEXES: 'year:date', QDRANT_MAX_REQUEST_BYTES: '10' })).toThrow(
      /QDRANT_PAYLOAD_INDEXES: "year:date": type must be one of keyword, integer, float, bool[\s\S]*QDRANT_WRITE_CONSISTENCY=3: must be at most QDRANT_REPLICATION_FACTOR \(2\)[\s\S]*QDRANT_MAX_REQUEST_BYTES="10"/,
    );
  });
});
