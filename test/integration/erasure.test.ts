import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { decodeSnapshot } from '../../services/core/events.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys, usersCollection } from '../../services/core/names.js';
import { eventIdHash } from '../../services/domain/event-id.js';
import { RedisHistoryStore } from '../../services/adapters/redis/redis-history-store.js';
import { shardOfUser } from '../../services/adapters/redis/redis-dirty-users.js';
import { cleanupPolicy, isCompacted } from '../../services/adapters/kafka/topic-config.js';
import { startQueryService, type RunningQueryService } from '../../services/query/main.js';
import { startHistoryFold, startSnapshotter } from '../../services/snapshotter/main.js';
import { compacted, dumpRedis, readAll, readAsProduct, rebuildHistory, tracesIn, type UserTraces } from '../support/erasure-checks.js';
import { InteractionPublisher, openShreddingSealer } from '../../services/publisher.js';
import { eventually } from '../support/eventually.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { randomVector, rng } from '../support/random.js';

const INTERVAL_MS = 1000;
const rand = rng(1212);
const items = new Map<string, Float32Array>();
for (let i = 0; i < 10; i++) items.set(`shared-${i}`, randomVector(rand, 8));
// Items only the erased user views, so any copy of their ids is theirs.
for (let i = 0; i < 10; i++) items.set(`secret-${i}`, randomVector(rand, 8));

/**
 * Issue 12's acceptance: after `DELETE /v1/users/{id}` reaches `complete`, no store the product
 * keeps holds a vector, item id or event hash of the user — only the erase marker (docs/privacy.md).
 */
describe('erasure: complete, confirmed, nothing left but the marker', () => {
  // ERASURE_MODE=shred: the raw events in the interactions topic and its DLQ are checked too.
  const shred = { ERASURE_MODE: 'shred', SHRED_SECRET: 'erasure-test-secret-0123456789abcdef', UNKNOWN_ITEM_PARK_MS: '0' };
  const suite = ingestSuite(items, { extraEnv: { SNAPSHOT_INTERVAL_MS: String(INTERVAL_MS), SNAPSHOT_LATENESS_MS: '100', DIRTY_SHARDS: '4', ...shred } });
  const { h } = suite;
  const closers: Array<{ close(): Promise<void> }> = [];
  let query: RunningQueryService;
  const userId = 'erased-user';
  const bystander = 'bystander';
  const eventIds: string[] = [];
  let sealed: InteractionPublisher;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const http = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> => {
    const res = await fetch(`http://127.0.0.1:${query.httpPort}${path}`, init);
    return { status: res.status, body: await res.json() };
  };
  const keys = () => new RedisKeys(h.config.redisPrefix, h.config.generation);
  const history = () => new RedisHistoryStore(h.redis, keys(), h.config.historySize);

  beforeAll(async () => {
    await suite.startIngest();
    closers.push(await startHistoryFold(h.config, silentLogger()), await startSnapshotter(h.config, silentLogger()));
    query = await startQueryService(loadConfig({ ...h.env, QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0', SHUTDOWN_GRACE_MS: '2000' }), silentLogger());
    closers.push(query);
    // Past windows, so ingest snapshots the boundaries and the snapshotter the last closed window.
    const base = Date.now() - 8 * INTERVAL_MS;
    const view = (user: string, itemId: string, occurredAt: number) => {
      const eventId = randomUUID();
      if (user === userId) eventIds.push(eventId);
      return { eventId, userId: user, itemId, type: 'VIEW' as const, occurredAt };
    };
    // The user's events are sealed (as a producing service in shred mode publishes them); one of an
    // item not in the catalogue goes to the DLQ.
    sealed = new InteractionPublisher({ kafka: h.kafka, topic: h.config.interactionsTopic, sealer: await openShreddingSealer(h.env) });
    await sealed.start();
    closers.push(sealed);
    await sealed.publish(Array.from({ length: 16 }, (_, i) => view(userId, `secret-${i % 10}`, base + i * 400)));
    await sealed.publish([view(userId, 'secret-missing', base + 7000)]);
    await h.publisher.publish(Array.from({ length: 16 }, (_, i) => view(bystander, `shared-${i % 10}`, base + i * 400)));
    await h.drained();
    await eventually(async () => ((await history().recent(userId, 20)).length >= 3 && (await history().recent(bystander, 20)).length >= 3 ? true : undefined), { timeoutMs: 30_000 });
    // The snapshotter has taken the last closed window: the user has a snapshot claim key.
    await eventually(async () => ((await h.redis.exists(keys().snapshotClaim(userId))) === 1 ? true : undefined), { timeoutMs: 30_000 });
    // One more view in the open window: the user is dirty, and their claim key exists, when erased.
    await sealed.publish([view(userId, 'secret-3', Date.now())]);
    await h.drained();
  }, 90_000);
  afterAll(async () => {
    for (const c of closers.reverse()) await c.close();
  });

  it('reaches complete within 5 s, then no Redis key, durable record, history record, interactions record or dead letter holds a trace of the user', async () => {
    const k = keys();
    expect(await h.redis.hget(k.dirtyUsers(shardOfUser(userId, h.config.dirtyShards)), userId)).not.toBeNull();
    expect(await h.redis.exists(k.snapshotClaim(userId))).toBe(1);
    const snapshots = await history().recent(userId, 20);
    const state = (await h.hotStates([userId])).get(userId)!;
    const traces: UserTraces = { userId, vectors: [state.vector!, ...snapshots.map((s) => s.vector)], itemIds: [...items.keys(), 'secret-missing'].filter((i) => i.startsWith('secret-')), eventIds };
    expect((await readAsProduct(h, `${h.config.interactionsTopic}.dlq`)).events.map((e) => [e.userId, e.itemId])).toEqual([[userId, 'secret-missing']]);

    const asked = Date.now();
    const del = await http(`/v1/users/${userId}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    const status = await eventually(async () => {
      const s = await http(`/v1/erasures/${del.body.erasureId}`);
      return s.body.status === 'complete' ? s.body : undefined;
    }, { timeoutMs: 5000, intervalMs: 20 });
    expect(Date.now() - asked).toBeLessThan(5000);
    expect(Object.keys(status).sort()).toEqual(['completedAt', 'erasureId', 'foldedAt', 'requestedAt', 'status']);

    // Redis: every key of the deployment (all generations and the shared ones), dumped by type.
    const dump = await dumpRedis(h.redis, `${h.config.redisPrefix}:*`);
    const marker = RedisKeys.eraseMarker(h.config.redisPrefix, userId);
    expect(dump.filter((d) => d.key.includes(userId)).map((d) => d.key).sort()).toEqual([marker, k.user(userId)].sort());
    for (const d of dump) {
      // Popularity keeps decayed view counts per item across all users (docs/privacy.md): item ids, never who viewed them.
      const checked = d.key.includes(':popular') ? { ...traces, itemIds: [] } : traces;
      expect({ key: d.key, traces: tracesIn(Buffer.concat(d.parts), checked) }).toEqual({ key: d.key, traces: [] });
      expect({ key: d.key, user: Buffer.concat(d.parts).includes(Buffer.from(userId)) }).toEqual({ key: d.key, user: false });
    }
    expect(Object.keys(await h.redis.hgetall(marker)).sort()).toEqual(['t', 'w']);
    expect(Object.keys(await h.redis.hgetall(RedisKeys.erasure(h.config.redisPrefix, del.body.erasureId))).sort()).toEqual(['completedAt', 'foldedAt', 'requestedAt']);
    const tombstone = { userId, vector: null, erased: true, eventCount: 0, recentViews: [], seen: [], disliked: [], recentEventIds: [eventIdHash(del.body.erasureId)] };
    expect((await h.hotStates([userId])).get(userId)).toMatchObject(tombstone);

    // The durable users collection: only the tombstone.
    expect((await h.durableStates([userId])).get(userId)).toMatchObject(tombstone);
    const point = (await h.store.get(usersCollection(h.config.generation), [userId])).get(userId)!;
    expect(point.payload.hasVector).toBe(false);
    expect(tracesIn(Buffer.concat([Buffer.from(JSON.stringify(point.payload)), Buffer.from(point.vector.buffer)]), traces)).toEqual([]);

    // The history topic read to its end, as compaction leaves it and as a rebuild folds it.
    const messages = await readAll(h.kafka, h.config.historyTopic);
    expect(messages.some((m) => m.value !== null && decodeSnapshot(m.value).userId === userId)).toBe(true);
    const kept = compacted(messages);
    for (const [key, m] of kept) expect({ key, traces: tracesIn(m.value!, traces) }).toEqual({ key, traces: [] });
    expect([...kept.keys()].filter((key) => key.startsWith(userId))).toEqual([]);
    const rebuilt = await rebuildHistory(h, 'rebuild');
    expect(await rebuilt.recent(userId, 20)).toEqual([]);
    expect((await rebuilt.recent(bystander, 20)).length).toBeGreaterThanOrEqual(3);

    // The interactions topic and its DLQ, read as the product can read them (its key store): none of
    // the user's events opens any more, and no byte of any record names the user or their items.
    for (const topic of [h.config.interactionsTopic, `${h.config.interactionsTopic}.dlq`]) {
      const read = await readAsProduct(h, topic);
      expect({ topic, events: read.events.filter((e) => e.userId === userId) }).toEqual({ topic, events: [] });
      for (const m of read.raw) {
        const bytes = Buffer.concat([m.key ?? Buffer.alloc(0), m.value ?? Buffer.alloc(0), ...Object.values(m.headers ?? {}).map((v) => Buffer.from(String(v)))]);
        expect({ topic, traces: tracesIn(bytes, traces), user: bytes.includes(Buffer.from(userId)), ids: eventIds.filter((e) => bytes.includes(Buffer.from(e))) }).toEqual({ topic, traces: [], user: false, ids: [] });
      }
    }

    // The bystander is untouched.
    expect((await h.hotStates([bystander])).get(bystander)!.vector).not.toBeNull();
    expect((await history().recent(bystander, 20)).length).toBeGreaterThanOrEqual(3);
  });

  it('has the history topic created compacted, and tells a plain topic apart', async () => {
    expect(await cleanupPolicy(h.admin, h.config.historyTopic)).toBe('compact');
    const plain = await cleanupPolicy(h.admin, h.config.interactionsTopic);
    expect(plain).toBe('delete');
    expect([isCompacted('compact'), isCompacted('compact,delete'), isCompacted(plain), isCompacted(undefined)]).toEqual([true, true, false, false]);
  });

  it('answers 404 for an unknown erasure and 400 naming erasureId for a malformed one', async () => {
    expect(await http(`/v1/erasures/${randomUUID()}`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', field: 'erasureId' } } });
    expect(await http('/v1/erasures/not-a-uuid')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT', field: 'erasureId' } } });
  });
});
