import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka } from '../../services/adapters/kafka/kafka-client.js';
import { readTopicToEnd } from '../../services/adapters/kafka/topic-reader.js';
import { silentLogger } from '../../services/core/logger.js';
import { eventually } from '../support/eventually.js';
import { unique } from '../support/names.js';
import { startFixture, userState, type QueryFixture } from '../support/query-fixture.js';

/** Served answers are written to IMPRESSIONS_TOPIC, each with the id the answer carries. */
describe('query service: impressions', () => {
  const topic = unique('impressions');
  let f: QueryFixture;
  let off: QueryFixture;

  beforeAll(async () => {
    f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { IMPRESSIONS_TOPIC: topic, STRATEGY_BUCKETS: 'ema:1' } });
    off = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers') });
    await f.users.putMany([userState('imp-user', { vector: new Float32Array([1, 0, 0, 0]), seen: ['item-00'] })]);
  });
  afterAll(async () => {
    await f?.close();
    await off?.close();
  });

  async function impressions(): Promise<Array<Record<string, unknown>>> {
    const kafka = createKafka({ brokers: f.config.kafkaBrokers, clientId: 'impressions-test', logger: silentLogger() });
    const out: Array<Record<string, unknown>> = [];
    await readTopicToEnd(kafka, topic, (m) => out.push({ key: m.key?.toString(), ...JSON.parse(m.value!.toString()) }), { groupPrefix: 'impressions-test' });
    return out;
  }

  it('writes one record per answer, HTTP and gRPC, with what was served and the id the answer carries', async () => {
    const before = Date.now();
    const http = await f.http('/v1/users/imp-user/recommendations?limit=3');
    const rpc = await f.grpcCall('Recommend', { user_id: 'cold-user', limit: 2, strategy: 'average' });
    expect(http.body.impressionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(rpc.impression_id).toMatch(/^[0-9a-f-]{36}$/);
    const records = await eventually(async () => {
      const all = await impressions();
      if (all.length < 2) throw new Error(`${all.length} impressions so far`);
      return all;
    });
    const byId = new Map(records.map((r) => [r.impressionId, r]));
    expect(byId.get(http.body.impressionId)).toEqual({
      key: 'imp-user',
      impressionId: http.body.impressionId,
      userId: 'imp-user',
      servedAt: expect.any(Number),
      strategy: 'ema',
      bucket: 'ema:1',
      fallback: null,
      items: http.body.items.map((i: { id: string; score: number }) => ({ id: i.id, score: i.score })),
    });
    expect(byId.get(rpc.impression_id)).toMatchObject({ userId: 'cold-user', strategy: 'average', bucket: null, fallback: 'cold_start', items: rpc.items.map((i: { id: string; score: number }) => ({ id: i.id, score: i.score })) });
    expect(byId.get(http.body.impressionId)!.servedAt).toBeGreaterThanOrEqual(before);
    const metrics = (await f.http('/metrics')).body as string;
    expect(metrics).toMatch(/query_impressions_total\{outcome="sent"\} 2/);
  });

  it('writes nothing and adds no id when IMPRESSIONS_TOPIC is not set', async () => {
    const http = await off.http('/v1/users/imp-user/recommendations?limit=3');
    expect(http.status).toBe(200);
    expect(http.body.impressionId).toBeUndefined();
    expect((await off.grpcCall('Recommend', { user_id: 'imp-user', limit: 1 })).impression_id).toBe('');
  });
});
