/**
 * Crypto-shredding end to end (ERASURE_MODE=shred, docs/privacy-shred.md) on the real broker and
 * Redis: sealed events fold exactly as plain ones; after DELETE the topic and the DLQ, read as the
 * product reads them, reveal nothing of the user, and a replay into a new generation skips them.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { RedisKeys, consumerGroupId } from '../../services/core/names.js';
import type { UserState } from '../../services/domain/types.js';
import { readTopic as readAll, readAsProduct } from '../support/erasure-checks.js';
import { waitForCatchUp } from '../../services/adapters/kafka/consumer-lag.js';
import { InteractionPublisher, openShreddingSealer } from '../../services/publisher.js';
import { readInteractionLog } from '../../services/adapters/kafka/interaction-log-reader.js';
import { RedisUserStateStore } from '../../services/adapters/redis/redis-user-state-store.js';
import { startIngest } from '../../services/ingest/ingest-service.js';
import { startQueryService } from '../../services/query/main.js';
import { openerFor, userKeyStore } from '../../services/adapters/shredding.js';
import { pseudonymOf } from '../../services/domain/shred/envelope.js';
import { SEALED_REASON_HEADER } from '../../services/domain/shred/shredding.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { maxAbsDiff, referenceFold, type RefEvent } from '../support/reference-fold.js';
import { workload } from '../support/workload.js';
import { keysEverywhere } from '../support/test-redis.js';
import { eventually } from '../support/eventually.js';

const SECRET = 'test-secret-for-pseudonyms-0123456789';
const w = workload({ seed: 23, items: 60, users: 40, events: 800, dimension: 8, erase: true });
const reference = referenceFold(w.events, w.items);
/** Per user, the index of their last ERASE in the workload: what precedes it (and it) is shredded once ingest folds it. */
const lastErase = new Map<string, number>();
w.events.forEach((e, i) => e.type === 'ERASE' && lastErase.set(e.userId, i));
const shreddedByErases = (except: string): number => w.events.filter((e, i) => e.userId !== except && i <= (lastErase.get(e.userId) ?? -1)).length;

async function publishAll(publisher: InteractionPublisher, events: readonly RefEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 200) await publisher.publish(events.slice(i, i + 200));
}

function sameFold(a: UserState | undefined, b: UserState | undefined): void {
  expect(a && { vector: a.vector, eventCount: a.eventCount, recentViews: a.recentViews, seen: a.seen, disliked: a.disliked, erased: a.erased }).toEqual(
    b && { vector: b.vector, eventCount: b.eventCount, recentViews: b.recentViews, seen: b.seen, disliked: b.disliked, erased: b.erased },
  );
}

describe('ERASURE_MODE=shred', () => {
  const plain = ingestSuite(w.items, { partitions: 3 });
  const shred = ingestSuite(w.items, { partitions: 3, extraEnv: { ERASURE_MODE: 'shred', SHRED_SECRET: SECRET, QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0' } });
  const h = shred.h;
  const victim = w.userIds.find((u) => reference.get(u)?.vector != null && w.events.filter((e) => e.userId === u).length >= 10)!;

  /** As a producing service builds it from the package: `openShreddingSealer` reads the same environment. */
  async function sealingPublisher(): Promise<InteractionPublisher> {
    const publisher = new InteractionPublisher({ kafka: h.kafka, topic: h.config.interactionsTopic, sealer: await openShreddingSealer(h.env) });
    await publisher.start();
    return publisher;
  }

  it('publishes sealed events keyed by pseudonym, and ingest folds them exactly as plain mode does', async () => {
    const publisher = await sealingPublisher();
    try {
      await Promise.all([plain.startIngest(), shred.startIngest()]);
      await Promise.all([publishAll(plain.h.publisher, w.events), publishAll(publisher, w.events)]);
      // One VIEW of an item not in the catalogue: it goes to the DLQ (UNKNOWN_ITEM_PARK_MS=0).
      await publisher.publish([{ userId: victim, itemId: 'not-in-catalogue', type: 'VIEW', occurredAt: Date.now() }]);
      await Promise.all([plain.h.drained(), h.drained()]);
    } finally {
      await publisher.close();
    }
    const [plainStates, shredStates] = await Promise.all([plain.h.hotStates(w.userIds), h.hotStates(w.userIds)]);
    for (const u of w.userIds) sameFold(shredStates.get(u), plainStates.get(u));
    for (const [u, ref] of reference) {
      const v = shredStates.get(u)!.vector;
      expect(v === null ? null : maxAbsDiff(v, ref.vector!) <= 1e-5, u).toBe(ref.vector === null ? null : true);
    }
    const raw = await readAll(h, h.config.interactionsTopic);
    expect(raw.length).toBe(w.events.length + 1);
    const byKey = new Map<string, Set<number>>();
    for (const m of raw) byKey.set(String(m.key), (byKey.get(String(m.key)) ?? new Set()).add(m.partition));
    expect([...byKey.keys()].sort()).toEqual([...new Set(w.events.map((e) => pseudonymOf(SECRET, e.userId)))].sort());
    expect([...byKey.values()].every((partitions) => partitions.size === 1)).toBe(true);
    expect(raw.filter((m) => m.value!.includes(victim) || [...w.items.keys()].some((id) => m.value!.includes(id)))).toEqual([]);
  });

  it("the dead letter of a sealed event keeps the ciphertext and seals its reason", async () => {
    const letters = await readAll(h, `${h.config.interactionsTopic}.dlq`);
    expect(letters.length).toBe(1);
    const [letter] = letters;
    expect(letter!.value!.includes('not-in-catalogue')).toBe(false);
    expect(String(letter!.headers!['x-error-code'])).toBe('UNKNOWN_ITEM');
    expect(String(letter!.headers!['x-error-message'])).toBe(`UNKNOWN_ITEM: the reason is sealed with the user's key in ${SEALED_REASON_HEADER}`);
    expect(Object.values(letter!.headers!).some((v) => String(v).includes('not-in-catalogue') || String(v).includes(victim))).toBe(false);
    const asProduct = await readAsProduct(h, `${h.config.interactionsTopic}.dlq`);
    expect(asProduct.events.map((e) => [e.userId, e.itemId])).toEqual([[victim, 'not-in-catalogue']]);
  });

  it('after DELETE the topic and the DLQ, read with the product key store, reveal nothing of the user', async () => {
    const query = await startQueryService(h.config, silentLogger());
    try {
      const res = await fetch(`http://127.0.0.1:${query.httpPort}/v1/users/${victim}`, { method: 'DELETE' });
      expect(res.status).toBe(202);
      // The sealed ERASE is still readable by ingest (its own key), so the erasure completes.
      const { erasureId } = (await res.json()) as { erasureId: string };
      const status = await eventually(async () => {
        const s = (await (await fetch(`http://127.0.0.1:${query.httpPort}/v1/erasures/${erasureId}`)).json()) as { status: string; completedAt?: number };
        if (s.status !== 'complete') throw new Error(`erasure ${erasureId} is ${s.status}`);
        return s;
      }, { timeoutMs: 15_000 });
      expect(status.completedAt).toBeGreaterThan(0);
    } finally {
      await query.close();
    }
    await h.drained();
    // Ingest folded the sealed ERASE (its own key outlived the user's), then deleted that key too.
    const erases = (await shred.ingest!.metrics.events.get()).values.filter((v) => v.labels.type === 'ERASE').reduce((n, v) => n + v.value, 0);
    expect(erases).toBe(w.events.filter((e) => e.type === 'ERASE').length + 1);
    // The workload's events no one can read any more: every one of the victim's, and of the other
    // users what their own ERASEs in the workload erased (named for the first, it counts both).
    const victimEvents = w.events.filter((e) => e.userId === victim).length + shreddedByErases(victim);
    const topic = await readAsProduct(h, h.config.interactionsTopic);
    expect(topic.events.filter((e) => e.userId === victim)).toEqual([]);
    // Those, the unknown-item VIEW, and the ERASE itself once ingest folded it.
    expect(topic.shredded).toBe(victimEvents + 2);
    expect(topic.events.length).toBe(w.events.length - victimEvents);
    const dlq = await readAsProduct(h, `${h.config.interactionsTopic}.dlq`);
    expect([dlq.events, dlq.shredded]).toEqual([[], 1]);
    for (const m of [...topic.raw, ...dlq.raw]) {
      const text = [m.key, m.value, ...Object.values(m.headers ?? {})].map(String).join(' ');
      expect(text.includes(victim)).toBe(false);
      expect(text.includes('not-in-catalogue')).toBe(false);
    }
    // `interest-stream evaluate` reads the topic the same way and leaves the same events out.
    const log = await readInteractionLog(h.kafka, h.config.interactionsTopic, undefined, openerFor(userKeyStore(h.config, h.redis, h.store)));
    expect([log.events.length, log.shredded, log.undecodable]).toEqual([w.events.length - victimEvents, victimEvents + 2, 0]);
    const keys = await keysEverywhere(h.redis, `${h.config.redisPrefix}:ukey:*`);
    expect(keys).not.toContain(new RedisKeys(h.config.redisPrefix, 'g1').userKey(pseudonymOf(SECRET, victim)));
  });

  it('a replay into a new generation rebuilds every other user exactly and not the erased one, counting what it skipped', async () => {
    await shred.stopIngest();
    const g2 = loadConfig({ ...h.env, GENERATION: 'g2', METRICS_PORT: '0' });
    const ingest = await startIngest(g2, silentLogger());
    try {
      await waitForCatchUp(h.admin, consumerGroupId(g2.consumerGroup, 'g2'), h.config.interactionsTopic, { timeoutMs: 60_000, intervalMs: 200 });
      const states = await new RedisUserStateStore(h.redis, new RedisKeys(g2.redisPrefix, 'g2')).getMany(w.userIds);
      const g1 = await h.hotStates(w.userIds);
      expect(states.has(victim)).toBe(false);
      // A user whose last event was an ERASE is absent; the others are as g1 holds them.
      const erasedLast = w.userIds.filter((u) => lastErase.get(u) === w.events.findLastIndex((e) => e.userId === u));
      expect(erasedLast.filter((u) => states.has(u))).toEqual([]);
      for (const u of w.userIds.filter((id) => id !== victim && !erasedLast.includes(id))) sameFold(states.get(u), g1.get(u));
      expect((await ingest.metrics.shredded.get()).values[0]?.value).toBe(w.events.filter((e) => e.userId === victim).length + 2 + shreddedByErases(victim));
    } finally {
      await ingest.close();
    }
  });

  it('an erasure during a replay leaves the replaying generation erased too, though it can no longer read the ERASE', async () => {
    const late = 'late-victim';
    const views = [...w.items.keys()].slice(0, 3).map((itemId) => ({ userId: late, itemId, type: 'VIEW' as const }));
    const g3 = loadConfig({ ...h.env, GENERATION: 'g3', METRICS_PORT: '0' });
    const g3Group = consumerGroupId(g3.consumerGroup, 'g3');
    const g3States = new RedisUserStateStore(h.redis, new RedisKeys(g3.redisPrefix, 'g3'));
    const publisher = await sealingPublisher();
    let replay = await startIngest(g3, silentLogger());
    try {
      await publisher.publish(views);
      await waitForCatchUp(h.admin, g3Group, h.config.interactionsTopic, { timeoutMs: 60_000, intervalMs: 200 });
      expect((await g3States.getMany([late])).get(late)?.vector).not.toBeNull();
    } finally {
      await replay.close();
      await publisher.close();
    }
    // The replay is paused mid-topic; the active generation (g1) folds the ERASE and deletes its key.
    await shred.startIngest();
    const query = await startQueryService(h.config, silentLogger());
    try {
      const res = await fetch(`http://127.0.0.1:${query.httpPort}/v1/users/${late}`, { method: 'DELETE' });
      const { erasureId } = (await res.json()) as { erasureId: string };
      await eventually(async () => {
        const s = (await (await fetch(`http://127.0.0.1:${query.httpPort}/v1/erasures/${erasureId}`)).json()) as { status: string };
        if (s.status !== 'complete') throw new Error(`erasure ${erasureId} is ${s.status}`);
        return s;
      }, { timeoutMs: 15_000 });
    } finally {
      await query.close();
      await shred.stopIngest();
    }
    replay = await startIngest(g3, silentLogger());
    try {
      await waitForCatchUp(h.admin, g3Group, h.config.interactionsTopic, { timeoutMs: 60_000, intervalMs: 200 });
      const state = (await g3States.getMany([late])).get(late);
      expect([state?.erased, state?.vector ?? null, state?.seen.length]).toEqual([true, null, 0]);
    } finally {
      await replay.close();
    }
  });

  it('`interest-stream events publish` seals in shred mode too', async () => {
    const file = path.join(h.dir, 'events.jsonl');
    writeFileSync(file, ['{"userId":"cli-user","itemId":"item-1","type":"view"}', '{"userId":"cli-user","itemId":"item-2","type":"view"}'].join('\n'));
    const child = h.spawnCli('events', ['publish', file]);
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
    const { events, raw } = await readAsProduct(h, h.config.interactionsTopic);
    const sent = raw.filter((m) => String(m.key) === pseudonymOf(SECRET, 'cli-user'));
    expect(sent.length).toBe(2);
    expect(sent.some((m) => m.value!.includes('cli-user') || m.value!.includes('item-1'))).toBe(false);
    expect(events.filter((e) => e.userId === 'cli-user').map((e) => e.itemId)).toEqual(['item-1', 'item-2']);
  });

  it('a tampered envelope goes to the DLQ as INVALID_ENVELOPE with its bytes, and folds nothing', async () => {
    const sealed = (await readAll(h, h.config.interactionsTopic)).find((m) => String(m.key) === pseudonymOf(SECRET, 'cli-user'))!;
    const tampered = Buffer.from(sealed.value!);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0x01;
    await shred.startIngest();
    const producer = h.kafka.producer();
    await producer.connect();
    await producer.send({ topic: h.config.interactionsTopic, messages: [{ key: sealed.key, value: tampered }] });
    await producer.disconnect();
    await h.drained();
    const letters = (await readAll(h, `${h.config.interactionsTopic}.dlq`)).filter((m) => String(m.headers!['x-error-code']) === 'INVALID_ENVELOPE');
    expect(letters.map((m) => [m.value!.equals(tampered), String(m.headers!['x-error-message'])])).toEqual([
      [true, 'shredded event envelope: authentication failed: its ciphertext, IV, tag or header (key id, pseudonym) was altered'],
    ]);
    expect((await h.hotStates(['cli-user'])).get('cli-user')?.eventCount).toBe(2);
  });
});
