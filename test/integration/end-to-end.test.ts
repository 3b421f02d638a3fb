import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import { normalize } from '../../services/domain/vector.js';
import { loadProtos } from '../../services/query/grpc-protos.js';
import { startQueryService, type RunningQueryService } from '../../services/query/main.js';
import { eventually } from '../support/eventually.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { workload } from '../support/workload.js';

type Unary = (req: object, md: grpc.Metadata, cb: (err: unknown, res: unknown) => void) => void;

/**
 * The whole path a user of the product sees: events published to Kafka, folded by ingest, served by
 * the query service over HTTP and gRPC.
 */
describe('end to end: publish, ingest, recommend', () => {
  const w = workload({ seed: 5, items: 80, users: 40, events: 800, dimension: 8 });
  const suite = ingestSuite(w.items);
  const { h } = suite;
  let query: RunningQueryService;
  let client: grpc.Client & Record<string, Unary>;
  const unit = new Map([...w.items].map(([id, v]) => [id, normalize(v)!]));

  beforeAll(async () => {
    await suite.startIngest();
    query = await startQueryService(loadConfig({ ...h.env, QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0', SHUTDOWN_GRACE_MS: '2000' }), silentLogger());
    const protos = loadProtos();
    client = new protos.recommendations(`127.0.0.1:${query.grpcPort}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, Unary>;
    await h.publisher.publish(w.events);
    await h.drained();
  });
  afterAll(async () => {
    client?.close();
    await query?.close();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const http = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> => {
    const res = await fetch(`http://127.0.0.1:${query.httpPort}${path}`, init);
    return { status: res.status, body: await res.json() };
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const rpc = (method: string, req: object): Promise<any> =>
    new Promise((resolve, reject) => client[method]!.call(client, req, new grpc.Metadata(), (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));

  /** Brute-force cosine ranking of the catalogue for the user's current vector, minus seen and disliked. */
  async function expectedTop(userId: string, limit: number): Promise<string[]> {
    const s = (await h.hotStates([userId])).get(userId)!;
    const skip = new Set([...s.seen, ...s.disliked]);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((acc, x, i) => acc + x * b[i]!, 0);
    return [...unit]
      .filter(([id]) => !skip.has(id))
      .map(([id, v]) => ({ id, score: dot(v, s.vector!) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit)
      .map((x) => x.id);
  }

  it('answers HTTP and gRPC with the same top-k, equal to a brute-force ranking without seen and disliked items', async () => {
    const withDislikes = w.userIds.filter((u) => w.events.some((e) => e.userId === u && e.type === 'DISLIKE')).slice(0, 5);
    expect(withDislikes.length).toBeGreaterThan(0);
    for (const userId of withDislikes) {
      const viaHttp = await http(`/v1/users/${userId}/recommendations?limit=10`);
      expect(viaHttp.status).toBe(200);
      expect(viaHttp.body.fallback).toBeNull();
      const ids = viaHttp.body.items.map((i: { id: string }) => i.id);
      expect(ids).toEqual(await expectedTop(userId, 10));
      const viaGrpc = await rpc('Recommend', { user_id: userId, limit: 10 });
      expect(viaGrpc.items.map((i: { id: string }) => i.id)).toEqual(ids);
      const state = (await h.hotStates([userId])).get(userId)!;
      expect(state.disliked.length).toBeGreaterThan(0);
      for (const d of state.disliked) expect(ids).not.toContain(d);
    }
  });

  it('reflects a newly published view within one second', async () => {
    const userId = w.userIds[0]!;
    const before = await http(`/v1/users/${userId}/recommendations?limit=5`);
    const target = before.body.items[0].id as string;
    const published = Date.now();
    await h.publisher.publish([{ userId, itemId: target, type: 'VIEW', weight: 3 }]);
    const after = await eventually(
      async () => {
        const r = await http(`/v1/users/${userId}/recommendations?limit=5`);
        return r.body.freshness.eventCount === before.body.freshness.eventCount + 1 ? r : undefined;
      },
      { timeoutMs: 1000, intervalMs: 20 },
    );
    expect(Date.now() - published).toBeLessThanOrEqual(1000);
    const ids = after!.body.items.map((i: { id: string }) => i.id);
    expect(ids).not.toContain(target);
    expect(ids).toEqual(await expectedTop(userId, 5));
  });

  it('erases a user: only the tombstone left in Redis and the vector store, then served cold-start results, and the erasure completes', async () => {
    const userId = w.userIds[1]!;
    expect((await h.hotStates([userId])).get(userId)?.vector).not.toBeNull();
    const del = await http(`/v1/users/${userId}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    expect(del.body).toMatchObject({ userId, status: 'pending', erasureId: del.body.eventId });
    const tombstone = { erased: true, vector: null, eventCount: 0, seen: [], disliked: [], recentViews: [] };
    expect((await h.hotStates([userId])).get(userId)).toMatchObject(tombstone);
    expect((await h.durableStates([userId])).get(userId)).toMatchObject(tombstone);
    const r = await http(`/v1/users/${userId}/recommendations?limit=5`);
    expect(r.status).toBe(200);
    expect(r.body.fallback).toBe('cold_start');
    expect(r.body.items.length).toBe(5);
    // The ERASE then reaches ingest, which completes the erasure: the user stays a tombstone.
    const done = await eventually(async () => {
      const s = await http(`/v1/erasures/${del.body.erasureId}`);
      return s.body.status === 'complete' ? s.body : undefined;
    });
    expect(done.requestedAt).toBe(del.body.requestedAt);
    expect(done.foldedAt).toBeGreaterThanOrEqual(done.requestedAt);
    expect(done.completedAt).toBeGreaterThanOrEqual(done.foldedAt);
    expect((await h.hotStates([userId])).get(userId)).toMatchObject(tombstone);
    expect((await http(`/v1/users/${userId}/recommendations?limit=5`)).body.fallback).toBe('cold_start');
    expect(await h.store.count(h.config.itemsCollection)).toBe(w.items.size);
  });
});
