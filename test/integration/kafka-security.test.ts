/**
 * Managed-broker security: a native broker with a SASL_SSL listener (certificates made at test time
 * with openssl), reached through the services' own client factory with settings from loadConfig.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaForConfig } from '../../services/adapters/kafka/kafka-client.js';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { SASL_PASSWORD, SASL_USER, SaslSslBroker } from '../support/sasl-ssl-broker.js';
import { unique } from '../support/names.js';
import { redisEnv } from '../support/test-redis.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('Kafka over SASL_SSL', () => {
  const broker = new SaslSslBroker();
  let passwordFile: string;
  const env = (extra: Record<string, string>) => ({
    KAFKA_BROKERS: broker.bootstrap,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: broker.caFile,
    KAFKA_SASL_USERNAME: SASL_USER,
    ...extra,
  });

  beforeAll(async () => {
    await broker.start();
    passwordFile = path.join(broker.dir, 'kafka-password');
    writeFileSync(passwordFile, `${SASL_PASSWORD}\n`);
  }, 180_000);
  afterAll(() => broker.stop());

  it('produces and consumes with SCRAM-SHA-512, the password read from a file', async () => {
    const config = loadConfig(env({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD_FILE: passwordFile }));
    const kafka = kafkaForConfig(config, silentLogger());
    const topic = unique('secure');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'u1', value: 'hello over TLS' }] });
    const consumer = kafka.consumer({ groupId: unique('secure-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }));
    expect(received).toBe('hello over TLS');
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  });

  it.each(['plain', 'scram-sha-256'])('connects with %s and the password from the environment', async (mechanism) => {
    const admin = kafkaForConfig(loadConfig(env({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_PASSWORD: SASL_PASSWORD })), silentLogger()).admin();
    await admin.connect();
    expect((await admin.describeCluster()).brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: broker.ports.sasl }]);
    await admin.disconnect();
  });

  it('fails at once with a wrong password: no retry loop', async () => {
    const admin = kafkaForConfig(loadConfig(env({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'wrong' })), silentLogger()).admin();
    const started = Date.now();
    await expect(admin.connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
    // kafkajs' retry policy (8 retries from 200 ms) would take well over 10 s.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('makes a service exit at start with one error naming the cause', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/cli/main.ts'), 'ingest'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'wrong' }),
        ...redisEnv(),
        REDIS_PREFIX: unique('secure'),
        INTERACTIONS_TOPIC: unique('secure-interactions'),
        LOG_LEVEL: 'silent',
        METRICS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const errors = stderr.split('\n').filter((l) => l.startsWith('error '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^error CONFIG_INVALID: Kafka refused the SASL credentials \(check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD\): .*(authentication failed|Invalid username or password)/i);
  }, 60_000);
});
