import { describe, expect, it } from 'vitest';
import { demoConfig } from '../../../services/cli/demo.js';
import { loadConfig } from '../../../services/core/config.js';

const base = loadConfig({
  KAFKA_BROKERS: 'broker-1.example:9093,broker-2.example:9093',
  KAFKA_CLIENT_ID: 'acme-recs',
  KAFKA_SSL: 'true',
  KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem',
  KAFKA_SSL_CERT_FILE: '/etc/kafka/client.pem',
  KAFKA_SSL_KEY_FILE: '/etc/kafka/client.key',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'alice',
  KAFKA_SASL_PASSWORD: 'alice-secret',
  REDIS_URL: 'rediss://redis.example:6380',
  REDIS_PREFIX: 'prod',
  INTERACTIONS_TOPIC: 'prod.interactions',
  QDRANT_URL: 'https://qdrant.example:6333',
  QDRANT_API_KEY: 'qdrant-key',
  QDRANT_COLLECTION_PREFIX: 'acme_',
  QDRANT_TIMEOUT_MS: '4500',
  QDRANT_RETRIES: '7',
  QDRANT_RETRY_BASE_MS: '50',
  QDRANT_UPSERT_MAX_POINTS: '100',
  QDRANT_MAX_REQUEST_BYTES: '65536',
  QDRANT_ON_DISK_PAYLOAD: 'false',
  QDRANT_SHARDS: '6',
  QDRANT_REPLICATION_FACTOR: '3',
  QDRANT_WRITE_CONSISTENCY: '2',
  QDRANT_PAYLOAD_INDEXES: 'category:keyword',
});

describe('the demo configuration', () => {
  const demo = demoConfig(base, 'demo-x', 30_000);

  it('reaches Kafka with the same brokers, TLS and SASL as the user', () => {
    expect(demo).toMatchObject({
      kafkaBrokers: ['broker-1.example:9093', 'broker-2.example:9093'],
      kafkaClientId: 'acme-recs',
      kafkaSsl: true,
      kafkaSslCaFile: '/etc/kafka/ca.pem',
      kafkaSslCertFile: '/etc/kafka/client.pem',
      kafkaSslKeyFile: '/etc/kafka/client.key',
      kafkaSaslMechanism: 'scram-sha-512',
      kafkaSaslUsername: 'alice',
      kafkaSaslPassword: 'alice-secret',
    });
  });

  it('reaches Redis and Qdrant with the user production settings', () => {
    expect(demo).toMatchObject({
      redisUrl: 'rediss://redis.example:6380',
      vectorStore: 'qdrant',
      qdrantUrl: 'https://qdrant.example:6333',
      qdrantApiKey: 'qdrant-key',
      qdrantCollectionPrefix: 'acme_',
      qdrantTimeoutMs: 4500,
      qdrantRetries: 7,
      qdrantRetryBaseMs: 50,
      qdrantUpsertMaxPoints: 100,
      qdrantMaxRequestBytes: 65536,
      qdrantOnDiskPayload: false,
      qdrantShards: 6,
      qdrantReplicationFactor: 3,
      qdrantWriteConsistency: 2,
      qdrantPayloadIndexes: [{ field: 'category', type: 'keyword' }],
    });
  });

  it('keeps its own names, so it never writes to the user topics or keys', () => {
    expect(demo).toMatchObject({ redisPrefix: 'demo-x', interactionsTopic: 'demo-x.interactions', consumerGroup: 'demo-x-ingest', snapshotIntervalMs: 30_000 });
    expect(Object.isFrozen(demo)).toBe(true);
  });
});
