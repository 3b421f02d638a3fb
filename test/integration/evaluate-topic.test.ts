import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { runEvaluate } from '../../services/cli/evaluate-command.js';
import { writeWorkload } from '../../services/cli/generate-command.js';
import { openInteractionPublisher } from '../../services/cli/connections.js';
import { loadConfig, type Config } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { createActivity } from '../../services/workload/activity.js';
import { createCatalogue } from '../../services/workload/catalogue.js';
import { unique } from '../support/names.js';
import { redisEnv } from '../support/test-redis.js';

describe('interest-stream evaluate --topic', () => {
  let dir: string;
  let config: Config;
  const catalogue = createCatalogue({ items: 300, dimension: 16, clusters: 5, seed: 5 });
  const activity = createActivity(catalogue, { users: 40, events: 1500, seed: 5 });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'evaluate-topic-'));
    config = loadConfig({ ...process.env, INTERACTIONS_TOPIC: unique('evaluate'), TOPIC_PARTITIONS: '3', KAFKA_BROKERS: inject('kafkaBrokers'), ...redisEnv() });
    await writeWorkload(dir, catalogue, activity, silentLogger());
    const publisher = await openInteractionPublisher(config, silentLogger());
    try {
      await publisher.publish([...activity.events()]);
    } finally {
      await publisher.close();
    }
  });

  afterAll(async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [config.interactionsTopic] }).catch(() => {});
    await admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const kafka = () => new Kafka({ clientId: 'evaluate-test', brokers: [...config.kafkaBrokers], logLevel: logLevel.NOTHING });

  async function run(...source: string[]): Promise<Record<string, unknown>> {
    const out = path.join(dir, unique('out'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const args = ['--items', path.join(dir, 'items.jsonl'), ...source, '--strategies', 'ema,average,popularity', '--out', out];
      expect(await runEvaluate(args, config, silentLogger())).toBe(0);
    } finally {
      log.mockRestore();
    }
    return JSON.parse(await readFile(path.join(out, 'evaluation.json'), 'utf8')) as Record<string, unknown>;
  }

  it('reads the whole topic across partitions and gives the numbers of the same events replayed from a file', async () => {
    const fromTopic = await run('--topic', config.interactionsTopic);
    const fromFile = await run('--events', path.join(dir, 'events.jsonl'));
    expect((fromTopic.counts as { events: number }).events).toBe(1500);
    expect(fromTopic.variants).toEqual(fromFile.variants);
    expect(fromTopic.coldStart).toEqual(fromFile.coldStart);
    expect(fromTopic.counts).toEqual(fromFile.counts);
    expect(fromTopic.input).toEqual({ items: path.join(dir, 'items.jsonl'), topic: config.interactionsTopic });
    // It leaves no consumer group behind (only evaluate names groups this way).
    const admin = kafka().admin();
    await admin.connect();
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    await admin.disconnect();
    expect(groups.filter((g) => g.startsWith('interest-stream-evaluate-'))).toEqual([]);
  });
});
