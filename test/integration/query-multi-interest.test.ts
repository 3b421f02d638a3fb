import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { silentLogger } from '../../services/core/logger.js';
import type { UserState } from '../../services/domain/types.js';
import { loadProtos } from '../../services/query/grpc-protos.js';
import { startQueryService, type RunningQueryService } from '../../services/query/main.js';
import { ingestSuite } from '../support/ingest-harness.js';

type Unary = (req: object, md: grpc.Metadata, cb: (err: unknown, res: unknown) => void) => void;

/** Two tastes (around e1 and e2) and, between them, the blend neither taste asked for. */
function catalogue(): Map<string, Float32Array> {
  const items = new Map<string, Float32Array>();
  for (let i = 0; i < 8; i++) {
    const s = 0.02 * (i + 1);
    const t = 0.015 * (8 - i);
    items.set(`a${i}`, Float32Array.from([1, 0, s, t]));
    items.set(`b${i}`, Float32Array.from([0, 1, t, s]));
    items.set(`c${i}`, Float32Array.from([0.7, 0.7, s, t]));
  }
  return items;
}

const USER = 'two-tastes';
const HALF_LIFE_MS = 60_000;

/**
 * A user with two tastes gets both: views alternate between two unrelated clusters; ingest (the real
 * one, from Kafka) keeps one interest per taste, and `strategy=multi` answers from each by quota,
 * where `ema` answers with the blend between them.
 */
describe('strategy=multi over real ingest', () => {
  const items = catalogue();
  const unit = new Map([...items].map(([id, v]) => [id, normalizeRef(v)]));
  const suite = ingestSuite(items, { extraEnv: { MULTI_INTERESTS: '3', MULTI_THRESHOLD: '0.5', MULTI_HALF_LIFE_MS: String(HALF_LIFE_MS) } });
  const { h } = suite;
  let query: RunningQueryService;
  let client: grpc.Client & Record<string, Unary>;
  let state: UserState;

  beforeAll(async () => {
    await suite.startIngest();
    query = await startQueryService(loadConfig({ ...h.env, QUERY_HTTP_PORT: '0', QUERY_GRPC_PORT: '0', SHUTDOWN_GRACE_MS: '2000' }), silentLogger());
    const protos = loadProtos();
    client = new protos.recommendations(`127.0.0.1:${query.grpcPort}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, Unary>;
    const start = Date.now() - 60_000;
    const views = ['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'b4'];
    await h.publisher.publish(views.map((itemId, i) => ({ userId: USER, itemId, type: 'VIEW', occurredAt: start + i * 1000 })));
    await h.drained();
    state = (await h.hotStates([USER])).get(USER)!;
  });
  afterAll(async () => {
    client?.close();
    await query?.close();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const http = async (path: string): Promise<any> => (await fetch(`http://127.0.0.1:${query.httpPort}${path}`)).json();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const rpc = (req: object): Promise<any> =>
    new Promise((resolve, reject) => client.Recommend!.call(client, req, new grpc.Metadata(), (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));

  /** Independent of services/: rank unseen items by each interest, most important first, and take them in turns by quota. */
  function expectedMulti(limit: number): Array<{ id: string; interest: number; score: number }> {
    const key = (i: UserState['interests'][number]) => Math.log2(i.importance) + i.updatedAt / HALF_LIFE_MS;
    const order = [...state.interests].sort((x, y) => key(y) - key(x));
    const weights = order.map((i) => 2 ** (key(i) - key(order[0]!)));
    const total = weights.reduce((a, b) => a + b, 0);
    // Largest remainders get the seats left over.
    const exact = weights.map((w) => (w / total) * limit);
    const quotas = exact.map(Math.floor);
    const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((x, y) => y.r - x.r);
    for (let r = 0; quotas.reduce((a, b) => a + b, 0) < limit; r++) quotas[byRemainder[r]!.i]! += 1;
    const ranked = order.map((i) => [...unit].filter(([id]) => !state.seen.includes(id)).sort(([, x], [, y]) => dotRef(y, i.vector) - dotRef(x, i.vector)).map(([id]) => id));
    const out: Array<{ id: string; interest: number; score: number }> = [];
    const given = quotas.map(() => 0);
    for (const withQuota of [true, false]) {
      for (let added = true; added && out.length < limit; ) {
        added = false;
        ranked.forEach((list, i) => {
          if (out.length >= limit || (withQuota && given[i]! >= quotas[i]!)) return;
          const id = list.find((x) => !out.some((o) => o.id === x));
          if (id === undefined) return;
          out.push({ id, interest: i, score: dotRef(order[i]!.vector, unit.get(id)!) });
          given[i]! += 1;
          added = true;
        });
      }
    }
    return out;
  }

  it('keeps one interest per taste in the state ingest wrote, in Redis and durably alike', async () => {
    expect(state.interests).toHaveLength(2);
    const [a, b] = state.interests;
    expect(dotRef(a!.vector, unit.get('a0')!)).toBeGreaterThan(0.99);
    expect(dotRef(b!.vector, unit.get('b0')!)).toBeGreaterThan(0.99);
    const durable = (await h.durableStates([USER])).get(USER)!;
    expect(durable.interests).toEqual(state.interests);
    expect((await http(`/v1/users/${USER}/interest`)).interests).toBe(2);
    const viaGrpc = await new Promise<{ interests: number }>((resolve, reject) =>
      client.GetInterest!.call(client, { user_id: USER }, new grpc.Metadata(), (e: unknown, r: unknown) => (e ? reject(e) : resolve(r as { interests: number }))),
    );
    expect(viaGrpc.interests).toBe(2);
  });

  it('answers both tastes on HTTP and gRPC, by importance quota, where ema answers the blend', async () => {
    const expected = expectedMulti(6);
    const viaHttp = await http(`/v1/users/${USER}/recommendations?limit=6&strategy=multi`);
    expect(viaHttp).toMatchObject({ strategy: 'multi', fallback: null });
    expect(viaHttp.items.map((i: { id: string; interest: number }) => ({ id: i.id, interest: i.interest }))).toEqual(expected.map(({ id, interest }) => ({ id, interest })));
    expect(new Set(viaHttp.items.map((i: { id: string }) => i.id[0]))).toEqual(new Set(['a', 'b']));
    const viaGrpc = await rpc({ user_id: USER, limit: 6, strategy: 'multi' });
    expect(viaGrpc.items.map((i: { id: string; interest: number }) => ({ id: i.id, interest: i.interest }))).toEqual(expected.map(({ id, interest }) => ({ id, interest })));
    const ema = await http(`/v1/users/${USER}/recommendations?limit=6&strategy=ema`);
    expect(ema.items.map((i: { id: string }) => i.id[0])).toEqual(['c', 'c', 'c', 'c', 'c', 'c']);
    expect(ema.items[0].interest).toBeUndefined();
  });

  it('works with explain and diversity', async () => {
    const explained = await http(`/v1/users/${USER}/recommendations?limit=4&strategy=multi&explain=true`);
    expect(explained.items.map((i: { id: string }) => i.id)).toEqual(expectedMulti(4).map((e) => e.id));
    for (const item of explained.items) expect(item.because.length).toBe(3);
    // MMR over the merged pool of max(5·4, 50) (here every unseen item), each scored by its own interest.
    const d = 0.5;
    const pool = expectedMulti(items.size - state.seen.length);
    const picked: typeof pool = [];
    const value = (c: (typeof pool)[number]) => (1 - d) * c.score - d * (picked.length === 0 ? 0 : Math.max(...picked.map((p) => dotRef(unit.get(p.id)!, unit.get(c.id)!))));
    while (picked.length < 4) picked.push(pool.filter((c) => !picked.includes(c)).reduce((best, c) => (value(c) > value(best) ? c : best)));
    const diverse = await http(`/v1/users/${USER}/recommendations?limit=4&strategy=multi&diversity=${d}`);
    expect(diverse.items.map((i: { id: string }) => i.id)).toEqual(picked.map((p) => p.id));
    const viaGrpc = await rpc({ user_id: USER, limit: 4, strategy: 'multi', diversity: 0.5 });
    expect(viaGrpc.items.map((i: { id: string }) => i.id)).toEqual(diverse.items.map((i: { id: string }) => i.id));
  });
});

function dotRef(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function normalizeRef(v: Float32Array): Float32Array {
  const n = Math.sqrt(dotRef(v, v));
  return v.map((x) => x / n);
}
