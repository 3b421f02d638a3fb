import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.js';
import { Reader } from '../../../services/core/config/reader.js';
import { readHistorySettings } from '../../../services/core/config/history.js';
import { readKafkaSettings } from '../../../services/core/config/kafka.js';
import { readRedisSettings } from '../../../services/core/config/redis.js';

describe('configuration read in sections', () => {
  it('lists the problems of every section in one error, each named by its variable', () => {
    const env = {
      LOG_LEVEL: 'loud',
      KAFKA_BROKERS: 'nope',
      TOPIC_PARTITIONS: '0',
      REDIS_URL: 'http://x',
      GENERATION: 'G!',
      VECTOR_STORE: 'qdrant',
      FOLD_ALPHA: '2',
      DURABLE_CHUNK_POINTS: '0',
      HISTORY_SIZE: '4',
      POPULAR_SHARDS: '0',
      MAX_LIMIT: '0',
      TRUST_PROXY: 'true',
      AUTH_FAILURES_PER_MINUTE: '0',
      HYBRID_LAMBDA: 'x',
      ERASURE_MODE: 'shred',
    };
    let message = '';
    try {
      loadConfig(env);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'invalid configuration:',
      '  - LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent',
      '  - KAFKA_BROKERS: "nope" is not host:port',
      '  - TOPIC_PARTITIONS="0": must be an integer from 1 to 10000',
      '  - REDIS_URL="http://x": must start with redis:// or rediss://',
      '  - GENERATION="G!": lowercase letters, digits, - and _ only (max 63)',
      '  - VECTOR_STORE=qdrant needs QDRANT_URL',
      '  - FOLD_ALPHA="2": must be a number in (0, 1]',
      '  - DURABLE_CHUNK_POINTS="0": must be an integer from 1 to 100000',
      '  - HISTORY_SIZE=4: must be at least 2 × TREND_WINDOW (6)',
      '  - POPULAR_SHARDS="0": must be an integer from 1 to 1024',
      '  - MAX_LIMIT="0": must be an integer from 1 to 10000',
      '  - AUTH_FAILURES_PER_MINUTE="0": must be an integer from 1 to 1000000',
      '  - HYBRID_LAMBDA="x": must be a number from 0 to 100',
      '  - ERASURE_MODE=shred needs SHRED_SECRET (or SHRED_SECRET_FILE)',
    ]);
  });

  it('returns one frozen object holding every section', () => {
    const c = loadConfig({ REDIS_PREFIX: 'p', HISTORY_SIZE: '30', QUERY_HTTP_PORT: '0', BUCKET_SALT: 's', ERASURE_RECORD_TTL_MS: '5000' });
    expect(Object.isFrozen(c)).toBe(true);
    expect([c.redisPrefix, c.historySize, c.queryHttpPort, c.bucketSalt, c.erasureRecordTtlMs, c.kafkaClientId, c.trustProxy]).toEqual(['p', 30, 0, 's', 5000, 'interest-stream', false]);
  });

  it('lets a section be read alone, collecting its problems on the shared reader', () => {
    const r = new Reader({ REDIS_URL: 'rediss://cache:6380', REDIS_CLUSTER: 'maybe', SNAPSHOT_INTERVAL_MS: '1000', SNAPSHOT_LATENESS_MS: '5000' });
    expect(readRedisSettings(r)).toEqual({ redisUrl: 'rediss://cache:6380', redisCluster: false, redisPrefix: 'is' });
    expect(readHistorySettings(r)).toEqual({ trendWindow: 3, historySize: 20, snapshotIntervalMs: 1000, snapshotLatenessMs: 999, dirtyShards: 16, snapshotLeaseMs: 30_000, snapshotterMetricsPort: 9465 });
    expect(r.problems).toEqual(['REDIS_CLUSTER="maybe": must be true or false']);
  });

  it('reads the consumer groups\' session timeout: 30 s unless set, refused outside what a broker can accept', () => {
    expect(readKafkaSettings(new Reader({})).kafkaSessionTimeoutMs).toBe(30_000);
    expect(readKafkaSettings(new Reader({ KAFKA_SESSION_TIMEOUT_MS: '10000' })).kafkaSessionTimeoutMs).toBe(10_000);
    const r = new Reader({ KAFKA_SESSION_TIMEOUT_MS: '500' });
    readKafkaSettings(r);
    expect(r.problems).toEqual(['KAFKA_SESSION_TIMEOUT_MS="500": must be an integer from 1000 to 1800000']);
  });
});
