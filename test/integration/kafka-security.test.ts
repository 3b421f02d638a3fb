/**
 * Managed-broker security: a native broker with a SASL_SSL listener (certificates made at test time
 * with openssl), reached through the services' own client factory with settings from loadConfig.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DLQ_HEADERS } from '../../services/adapters/kafka/dead-letters.js';
import { kafkaForConfig } from '../../services/adapters/kafka/kafka-client.js';
import { openInteractionPublisher } from '../../services/cli/connections.js';
import { runDlq } from '../../services/cli/dlq-command.js';
import { runEvaluate } from '../../services/cli/evaluate-command.js';
import { writeWorkload } from '../../services/cli/generate-command.js';
import { loadConfig, type Config } from '../../services/core/config.js';
import { dlqTopic } from '../../services/core/names.js';
import { createActivity } from '../../services/workload/activity.js';
import { createCatalogue } from '../../services/workload/catalogue.js';
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

  /** Runs the CLI against the broker with a wrong password; its exit code, error lines and duration. */
  async function runWithWrongPassword(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; errors: string[]; ms: number }> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'wrong' }),
        ...redisEnv(),
        REDIS_PREFIX: unique('secure'),
        INTERACTIONS_TOPIC: unique('secure-interactions'),
        LOG_LEVEL: 'silent',
        METRICS_PORT: '0',
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, errors: stderr.split('\n').filter((l) => l.startsWith('error ')), ms: Date.now() - started };
  }

  const REFUSED = /^error CONFIG_INVALID: Kafka refused the SASL credentials \(check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD\): .*(authentication failed|Invalid username or password)/i;

  it('makes a service exit at start with one error naming the cause', async () => {
    const { code, errors, ms } = await runWithWrongPassword(['ingest']);
    expect(code).toBe(1);
    expect(ms).toBeLessThan(30_000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(REFUSED);
  }, 60_000);

  describe('the operator commands', () => {
    const config = (): Config => loadConfig(env({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: SASL_PASSWORD, INTERACTIONS_TOPIC: unique('secure-interactions'), TOPIC_PARTITIONS: '2' }));

    it('dlq lists and redrives dead letters over SASL_SSL', async () => {
      const c = config();
      const kafka = kafkaForConfig(c, silentLogger());
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: c.interactionsTopic, numPartitions: 2 }, { topic: dlqTopic(c.interactionsTopic), numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      const letter = (key: string, code: string) => ({ key, value: `event of ${key}`, headers: { [DLQ_HEADERS.code]: code, [DLQ_HEADERS.failedAt]: '2026-01-02T03:04:05.000Z', [DLQ_HEADERS.message]: 'unknown item' } });
      await producer.send({ topic: dlqTopic(c.interactionsTopic), messages: [letter('u1', 'NOT_FOUND'), letter('u2', 'INVALID_INPUT')] });
      await producer.disconnect();

      const lines: string[] = [];
      expect(await runDlq(['list', '--reason', 'NOT_FOUND'], c, silentLogger(), (l) => lines.push(l))).toBe(0);
      expect(lines).toEqual(['0:0  2026-01-02T03:04:05.000Z  NOT_FOUND  key=u1  unknown item', `1 dead letters in ${dlqTopic(c.interactionsTopic)}`]);

      lines.length = 0;
      expect(await runDlq(['redrive'], c, silentLogger(), (l) => lines.push(l))).toBe(0);
      expect(lines).toEqual([`re-published 2 dead letters to ${c.interactionsTopic}; skipped 0 references (too large to have been kept whole)`]);
      const consumer = kafka.consumer({ groupId: unique('secure-redriven') });
      await consumer.connect();
      await consumer.subscribe({ topic: c.interactionsTopic, fromBeginning: true });
      const redriven: string[] = [];
      await new Promise<void>((resolve) => void consumer.run({ eachMessage: async ({ message }) => void (redriven.push(String(message.value)) === 2 && resolve()) }));
      await consumer.disconnect();
      expect(redriven.sort()).toEqual(['event of u1', 'event of u2']);
    }, 120_000);

    const catalogue = createCatalogue({ items: 60, dimension: 8, clusters: 3, seed: 3 });
    const activity = createActivity(catalogue, { users: 10, events: 200, seed: 3 });
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'secure-evaluate-'));
      await writeWorkload(dir, catalogue, activity, silentLogger());
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('evaluate --topic reads the interactions over SASL_SSL', async () => {
      const c = config();
      const publisher = await openInteractionPublisher(c, silentLogger());
      await publisher.publish([...activity.events()]).finally(() => publisher.close());
      const out = path.join(dir, 'out');
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const code = await runEvaluate(['--items', path.join(dir, 'items.jsonl'), '--topic', c.interactionsTopic, '--strategies', 'ema', '--out', out], c, silentLogger()).finally(() => log.mockRestore());
      expect(code).toBe(0);
      const doc = JSON.parse(await readFile(path.join(out, 'evaluation.json'), 'utf8')) as { counts: { events: number }; undecodable: number };
      expect(doc.counts.events).toBe(200);
      expect(doc.undecodable).toBe(0);
    }, 120_000);

    it.each([
      ['dlq list', () => ['dlq', 'list']],
      ['evaluate --topic', () => ['evaluate', '--items', path.join(dir, 'items.jsonl'), '--topic']],
    ])('%s says the credentials were refused when the password is wrong', async (_name, args) => {
      const { code, errors } = await runWithWrongPassword(args());
      expect(code).toBe(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(REFUSED);
    }, 60_000);
  });
});
