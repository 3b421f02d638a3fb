import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.js';

describe('config: partition-safety settings', () => {
  it('defaults: no maximum event age, 5 minutes of clock skew, chunks fitting Qdrant, 10 minutes of parking', () => {
    const c = loadConfig({});
    expect([c.maxEventAgeMs, c.maxClockSkewMs, c.durableChunkPoints, c.durableChunkBytes, c.ingestMaxPendingBytes, c.ingestMaxPendingUsers, c.unknownItemParkMs]).toEqual([
      undefined,
      300_000,
      256,
      8 * 1024 * 1024,
      128 * 1024 * 1024,
      50_000,
      600_000,
    ]);
  });

  it('reads every setting and lists every bad one in one error', () => {
    const c = loadConfig({ MAX_EVENT_AGE_MS: '86400000', MAX_CLOCK_SKEW_MS: '0', DURABLE_CHUNK_POINTS: '10', UNKNOWN_ITEM_PARK_MS: '0' });
    expect([c.maxEventAgeMs, c.maxClockSkewMs, c.durableChunkPoints, c.unknownItemParkMs]).toEqual([86_400_000, 0, 10, 0]);
    expect(() => loadConfig({ MAX_EVENT_AGE_MS: '0', DURABLE_CHUNK_BYTES: '100', INGEST_MAX_PENDING_USERS: 'lots' })).toThrow(
      /MAX_EVENT_AGE_MS="0": must be an integer from 1 [\s\S]*DURABLE_CHUNK_BYTES="100": must be an integer from 65536 [\s\S]*INGEST_MAX_PENDING_USERS="lots"/,
    );
  });
});
