import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { runGenerate } from '../../services/cli/generate-command.js';
import { loadConfig, type Config } from '../../services/core/config.js';
import { decodeInteraction } from '../../services/core/events.js';
import { silentLogger } from '../../services/core/logger.js';
import type { InteractionEvent } from '../../services/domain/types.js';
import { createVectorStore } from '../../services/adapters/vector-store/create-vector-store.js';
import { createActivity } from '../../services/workload/activity.js';
import { createCatalogue } from '../../services/workload/catalogue.js';
import { eventually } from '../support/eventually.js';
import { unique } from '../support/names.js';
import { vectorStoreEnv } from '../support/vector-store-env.js';
import { redisEnv } from '../support/test-redis.js';

describe('interest-stream generate --publish', () => {
  let dir: string;
  let config: Config;
  let kafka: Kafka;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'generate-publish-'));
    config = loadConfig({
      ...process.env,
      INTERACTIONS_TOPIC: unique('generate'),
      TOPIC_PARTITIONS: '3',
      ...vectorStoreEnv(unique('generate'), dir),
      KAFKA_BROKERS: inject('kafkaBrokers'),
      ...redisEnv(),
    });
    kafka = new Kafka({ clientId: 'generate-test', brokers: [...config.kafkaBrokers], logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [config.interactionsTopic] }).catch(() => {});
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  async function readTopic(count: number): Promise<Array<{ key: string; event: InteractionEvent }>> {
    const consumer = kafka.consumer({ groupId: unique('generate-reader') });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: config.interactionsTopic, fromBeginning: true });
      const seen: Array<{ key: string; event: InteractionEvent }> = [];
      await consumer.run({ eachMessage: async ({ message }) => void seen.push({ key: String(message.key), event: decodeInteraction(message.value!) }) });
      await eventually(() => seen.length >= count, { timeoutMs: 30_000 });
      return seen;
    } finally {
      await consumer.disconnect();
    }
  }

  it('imports the catalogue into the items collection and publishes every event, keyed by user, in order', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const args = ['--items', '150', '--dimension', '16', '--clusters', '5', '--users', '12', '--events', '2500', '--seed', '11', '--publish'];
    expect(await runGenerate(args, config, silentLogger())).toBe(0);
    expect(log.mock.calls.map((c) => c.join(' '))).toEqual(['imported 150 items (dimension 16)', `published 2500 events to ${config.interactionsTopic}`]);
    log.mockRestore();

    const catalogue = createCatalogue({ items: 150, dimension: 16, clusters: 5, seed: 11 });
    const expected = [...createActivity(catalogue, { users: 12, events: 2500, seed: 11 }).events()];
    const received = await readTopic(2500);
    expect(received).toHaveLength(2500);
    for (const { key, event } of received) expect(key).toBe(event.userId);
    // Kafka keeps order per partition, and a user's events share one: each user's sequence is as generated.
    const perUser = (events: readonly InteractionEvent[]) => {
      const m = new Map<string, InteractionEvent[]>();
      for (const e of events) m.set(e.userId, [...(m.get(e.userId) ?? []), e]);
      return m;
    };
    expect(perUser(received.map((r) => r.event))).toEqual(perUser(expected));

    const store = createVectorStore(config, silentLogger());
    await store.start();
    try {
      expect(await store.collectionDimension(config.itemsCollection)).toBe(16);
      expect(await store.count(config.itemsCollection)).toBe(150);
      const items = [...catalogue.items()];
      const got = await store.get(config.itemsCollection, [items[0]!.id, items[149]!.id]);
      expect(got.get('item-000001')!.payload).toEqual(items[0]!.payload);
      expect(got.get('item-000150')!.payload).toEqual(items[149]!.payload);
      // The file carries 7 decimals and the import renormalises, so the stored vector is the generated one to ~1e-6.
      const stored = got.get('item-000001')!.vector;
      for (let i = 0; i < 16; i++) expect(Math.abs(stored[i]! - items[0]!.vector[i]!)).toBeLessThan(1e-6);
    } finally {
      await store.close();
    }
  });
});
