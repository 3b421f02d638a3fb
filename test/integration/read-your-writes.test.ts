import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { decodeToken, encodeToken } from '../../services/core/consistency-token.js';
import { silentLogger } from '../../services/core/logger.js';
import { normalize } from '../../services/domain/vector.js';
import { loadProtos } from '../../services/query/grpc-protos.js';
import { startQueryService, type RunningQueryService } from '../../services/query/main.js';
import { eventually } from '../support/eventually.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { randomVector, rng } from '../support/random.js';
import { workload } from '../support/workload.js';

type Unary = (req: object, md: grpc.Metadata, cb: (err: unknown, res: unknown) => void) => void;

/**
 * Read-your-writes: the publisher's consistency token, passed as `after`, holds the answer until
 * ingest has folded the published events — or says `caughtUp: false` after AFTER_WAIT_MS.
 */
describe('read-your-writes: publish, then query with the token', () => {
  const w = workload({ seed: 15, items: 60, users: 10, events: 0, dimension: 8 });
  const suite = ingestSuite(w.items);
  const { h } = suite;
  const unit = new Map([...w.items].map(([id, v]) => [id, normalize(v)!]));
  let query: RunningQueryService;
  /** A second query service on the same data with a short AFTER_WAIT_MS, for the wait that runs out. */
  let impatient: RunningQueryService;
  let client: grpc.Client & Record<string, Unary>;
  const WAIT_MS = 300;
  const serve = (waitMs: number) =>
    startQueryService(loadConfig({ ...h.env, QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0', SHUTDOWN_GRACE_MS: '2000', AFTER_WAIT_MS: String(waitMs) }), silentLogger());

  beforeAll(async () => {
    await suite.startIngest();
    // A generous wait where the token must be reached (a busy machine may take a while to fold);
    // the answer still comes as soon as ingest has folded the events.
    query = await serve(10_000);
    impatient = await serve(WAIT_MS);
    const protos = loadProtos();
    client = new protos.recommendations(`127.0.0.1:${query.grpcPort}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, Unary>;
    // Ingest is running and has folded something before the measured publishes.
    const warm = await h.publisher.publishWithToken([{ userId: 'warm-up', itemId: 'item-0', type: 'VIEW' }]);
    await eventually(async () => (await http(`/v1/users/warm-up/interest?after=${warm.token}`)).body.freshness?.caughtUp === true, { timeoutMs: 60_000, intervalMs: 100 });
  });
  afterAll(async () => {
    client?.close();
    await query?.close();
    await impatient?.close();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const http = async (path: string, service = query): Promise<{ status: number; body: any }> => {
    const res = await fetch(`http://127.0.0.1:${service.httpPort}${path}`);
    return { status: res.status, body: await res.json() };
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const rpc = (method: string, req: object): Promise<any> =>
    new Promise((resolve, reject) => client[method]!.call(client, req, new grpc.Metadata(), (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));

  /** Catalogue ids by cosine to `v`, highest first, without `skip`. */
  function ranking(v: Float32Array, skip: string): string[] {
    const dot = (a: Float32Array) => a.reduce((acc, x, i) => acc + x * v[i]!, 0);
    return [...unit].filter(([id]) => id !== skip).sort((a, b) => dot(b[1]) - dot(a[1])).map(([id]) => id);
  }

  it('answers a query made right after the publish with the published view already folded', async () => {
    const sent = await h.publisher.publishWithToken([{ userId: 'reader-1', itemId: 'item-7', type: 'VIEW' }]);
    const token = decodeToken(sent.token);
    expect(token.topic).toBe(h.config.interactionsTopic);
    expect(token.offsets.size).toBe(1);

    const rec = await http(`/v1/users/reader-1/recommendations?limit=5&after=${sent.token}`);
    expect(rec.status).toBe(200);
    expect(rec.body.freshness).toMatchObject({ eventCount: 1, caughtUp: true });
    expect(rec.body.fallback).toBeNull();
    // A first view makes the interest vector the item's unit vector: the nearest items to item-7, without it.
    expect(rec.body.items.map((i: { id: string }) => i.id)).toEqual(ranking(unit.get('item-7')!, 'item-7').slice(0, 5));

    const interest = await http(`/v1/users/reader-1/interest?include=vector&after=${sent.token}`);
    expect(interest.body.freshness).toMatchObject({ eventCount: 1, caughtUp: true });
    expect(interest.body.recentViews).toEqual(['item-7']);
    interest.body.vector.forEach((x: number, i: number) => expect(x).toBeCloseTo(unit.get('item-7')![i]!, 6));
  });

  it('holds gRPC Recommend and GetInterest with `after` until the view is folded, and leaves caught_up unset without it', async () => {
    const sent = await h.publisher.publishWithToken([{ userId: 'reader-2', itemId: 'item-3', type: 'VIEW' }]);
    const r = await rpc('Recommend', { user_id: 'reader-2', limit: 3, after: sent.token });
    expect(r.freshness).toMatchObject({ event_count: 1, caught_up: true });
    expect(r.items.map((i: { id: string }) => i.id)).toEqual(ranking(unit.get('item-3')!, 'item-3').slice(0, 3));
    const plain = await rpc('Recommend', { user_id: 'reader-2', limit: 3 });
    expect(plain.freshness.caught_up).toBeUndefined();
    const interest = await rpc('GetInterest', { user_id: 'reader-2', after: sent.token });
    expect(interest.freshness).toMatchObject({ event_count: 1, caught_up: true });
    expect(interest.recent_views).toEqual(['item-3']);
  });

  it('refuses a malformed token, and a token of another topic, naming `after`', async () => {
    for (const bad of ['not!base64', Buffer.from('{"v":9,"t":"x","o":{"0":"1"}}').toString('base64url'), 'e30']) {
      const r = await http(`/v1/users/reader-1/recommendations?after=${encodeURIComponent(bad)}`);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'INVALID_INPUT', field: 'after' });
    }
    const elsewhere = encodeToken({ topic: 'another-topic', offsets: new Map([[0, 5n]]) });
    const r = await http(`/v1/users/reader-1/interest?after=${elsewhere}`);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('after');
    expect(r.body.error.message).toContain('another-topic');
    const e = await rpc('Recommend', { user_id: 'reader-1', after: 'x.y' }).catch((err: grpc.ServiceError) => err);
    expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(e.metadata.get('error-field')).toEqual(['after']);
  });

  it('with ingest stopped, answers after AFTER_WAIT_MS with caughtUp false and the state it has', async () => {
    await suite.stopIngest();
    const sent = await h.publisher.publishWithToken([{ userId: 'reader-1', itemId: 'item-9', type: 'VIEW' }]);
    const started = performance.now();
    const rec = await http(`/v1/users/reader-1/recommendations?limit=5&after=${sent.token}`, impatient);
    const took = performance.now() - started;
    expect(rec.status).toBe(200);
    expect(rec.body.freshness).toMatchObject({ eventCount: 1, caughtUp: false });
    expect(took).toBeGreaterThanOrEqual(WAIT_MS - 5);
    // Bounded by AFTER_WAIT_MS, not by the ingest that never comes (generous: the machine is shared).
    expect(took).toBeLessThan(WAIT_MS + 3000);
    // Without a token the same stale answer carries no caughtUp: nothing was asked.
    expect((await http('/v1/users/reader-1/recommendations?limit=5', impatient)).body.freshness.caughtUp).toBeUndefined();
  });
});

describe('read-your-writes: an event parked for its missing catalogue item', () => {
  const w = workload({ seed: 16, items: 5, users: 1, events: 0, dimension: 8 });
  const suite = ingestSuite(w.items, { partitions: 1, extraEnv: { UNKNOWN_ITEM_PARK_MS: '600000', AFTER_WAIT_MS: '300' } });
  const { h } = suite;
  let query: RunningQueryService;

  beforeAll(async () => {
    await suite.startIngest();
    query = await startQueryService(loadConfig({ ...h.env, QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0', SHUTDOWN_GRACE_MS: '2000' }), silentLogger());
  });
  afterAll(async () => {
    await query?.close();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const get = async (path: string): Promise<any> => (await fetch(`http://127.0.0.1:${query.httpPort}${path}`)).json();

  it('is not caught up while the event waits, even for a later event already folded, and is once the item arrives', async () => {
    const parked = await h.publisher.publishWithToken([{ userId: 'u-late', itemId: 'late-item', type: 'VIEW' }]);
    const later = await h.publisher.publishWithToken([{ userId: 'u-other', itemId: 'item-2', type: 'VIEW' }]);
    await eventually(async () => (await h.hotStates(['u-other'])).get('u-other')?.eventCount === 1, { timeoutMs: 10_000 });
    // u-other's event is in Redis, but the partition's progress stops at the parked event before it:
    // the token cannot tell the two apart, so it says not caught up rather than risk a stale yes.
    expect((await get(`/v1/users/u-other/recommendations?after=${later.token}`)).freshness).toMatchObject({ eventCount: 1, caughtUp: false });
    expect((await get(`/v1/users/u-late/recommendations?after=${parked.token}`)).freshness).toMatchObject({ eventCount: 0, caughtUp: false });

    await h.importItems(new Map([['late-item', randomVector(rng(17), 8)]]));
    await eventually(async () => (await get(`/v1/users/u-late/recommendations?after=${parked.token}`)).freshness.caughtUp === true, { timeoutMs: 60_000, intervalMs: 200 });
    expect((await get(`/v1/users/u-late/recommendations?after=${parked.token}`)).freshness).toMatchObject({ eventCount: 1, caughtUp: true });
    expect((await get(`/v1/users/u-other/recommendations?after=${later.token}`)).freshness).toMatchObject({ eventCount: 1, caughtUp: true });
  }, 90_000);
});
