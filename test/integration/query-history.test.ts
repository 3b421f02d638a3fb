import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { InterestSnapshot } from '../../services/domain/ports/index.js';
import { bruteForce, GENERATION, startFixture, userState, type QueryFixture, grpcError } from '../support/query-fixture.js';

const HOUR = 3_600_000;
const A = [1, 0, 0, 0];
const B = [0, 1, 0, 0];

/** The unit vector `deg` degrees from cluster A towards cluster B. */
function towardsB(deg: number): Float32Array {
  const r = (deg * Math.PI) / 180;
  return new Float32Array(A.map((a, i) => a * Math.cos(r) + B[i]! * Math.sin(r)));
}

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const cos = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, x, i) => s + x * b[i]!, 0) / (norm(a) * norm(b));
const unitMean = (vs: readonly Float32Array[]): number[] => {
  const sum = vs[0]!.map((_, i) => vs.reduce((s, v) => s + v[i]!, 0));
  return Array.from(sum, (x) => x / norm(sum));
};
/** 1 − cos between the normalised means of the older and the newer half. */
function halvesDrift(vs: readonly Float32Array[]): number {
  const w = Math.floor(vs.length / 2);
  const newest = vs.slice(-2 * w);
  return 1 - cos(unitMean(newest.slice(0, w)), unitMean(newest.slice(w)));
}

// Eight hourly snapshots of a user drifting from A towards B, 8° a window; the EMA state is the newest.
const ANGLES = [0, 8, 16, 24, 32, 40, 48, 56];
const FIRST_WINDOW = 472_000;
const SNAPSHOTS: InterestSnapshot[] = ANGLES.map((deg, k) => ({
  userId: 'mover',
  vector: towardsB(deg),
  takenAt: (FIRST_WINDOW + k + 1) * HOUR - 1,
  eventCount: 3 * (k + 1),
  watermarkPartition: 0,
  watermarkOffset: String(10 * k),
  generation: GENERATION,
  window: FIRST_WINDOW + k,
}));
const EMA = SNAPSHOTS.at(-1)!.vector;

function expectedSnapshots(from: number, withVector: boolean): object[] {
  return SNAPSHOTS.slice(from).map((s) => ({
    window: s.window,
    takenAt: s.takenAt,
    eventCount: s.eventCount,
    watermark: `0:${s.watermarkOffset}`,
    ...(withVector ? { vector: Array.from(s.vector) } : {}),
  }));
}

interface GrpcHistory {
  user_id: string;
  generation: string;
  snapshots: Array<{ window: number; taken_at: number; event_count: number; watermark: string; vector: number[] }>;
  drift?: number;
  trend: { windows_used: number; drift: number } | null;
}

/** The gRPC answer in the HTTP shape: an unset `drift` is null, an empty vector list means none was asked for. */
function fromGrpc(r: GrpcHistory): object {
  return {
    userId: r.user_id,
    generation: r.generation,
    snapshots: r.snapshots.map((s) => ({
      window: s.window,
      takenAt: s.taken_at,
      eventCount: s.event_count,
      watermark: s.watermark,
      ...(s.vector.length > 0 ? { vector: s.vector } : {}),
    })),
    drift: r.drift ?? null,
    trend: r.trend === null ? null : { windowsUsed: r.trend.windows_used, drift: r.trend.drift },
  };
}

const ids = (items: Array<{ id: string }>): string[] => items.map((i) => i.id);

describe('query service: interest history over HTTP and gRPC', () => {
  let f: QueryFixture;

  beforeAll(async () => {
    f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers') });
    await f.users.putMany([userState('mover', { vector: EMA, eventCount: 24 }), userState('fresh', { vector: towardsB(10) })]);
    // Appended newest first: the store keeps window order whatever the arrival order.
    for (const s of [...SNAPSHOTS].reverse()) await f.history.append(s);
  });
  afterAll(async () => {
    await f.close();
  });

  it('HTTP and gRPC return the same snapshots, oldest first, with vectors only when asked', async () => {
    const plain = await f.http('/v1/users/mover/history');
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ userId: 'mover', generation: GENERATION, snapshots: expectedSnapshots(0, false) });
    expect(plain.body.snapshots.every((s: object) => !('vector' in s))).toBe(true);
    expect(fromGrpc(await f.grpcCall('GetHistory', { user_id: 'mover' }))).toEqual(plain.body);

    const withVectors = await f.http('/v1/users/mover/history?include=vector');
    expect(withVectors.body.snapshots).toEqual(expectedSnapshots(0, true));
    expect(fromGrpc(await f.grpcCall('GetHistory', { user_id: 'mover', include_vector: true }))).toEqual(withVectors.body);
  });

  it('reports the drift between the halves, and the trend ranks closer to cluster B than the EMA does', async () => {
    const vectors = SNAPSHOTS.map((s) => s.vector);
    const res = await f.http('/v1/users/mover/history');
    // All 8 snapshots (4 against 4) for `drift`; the newest 2·TREND_WINDOW = 6 for the trend.
    expect(f.config.trendWindow).toBe(3);
    expect(res.body.drift).toBeCloseTo(halvesDrift(vectors), 6);
    expect(res.body.drift).toBeCloseTo(1 - Math.cos((32 * Math.PI) / 180), 4);
    expect(res.body.trend.windowsUsed).toBe(6);
    expect(res.body.trend.drift).toBeCloseTo(halvesDrift(vectors.slice(-6)), 6);
    expect(res.body.trend.drift).toBeGreaterThan(0);

    const older = unitMean(vectors.slice(2, 5));
    const newer = unitMean(vectors.slice(5));
    const trendVector = new Float32Array(newer.map((n, i) => 2 * n - older[i]!));
    expect(cos(trendVector, B)).toBeGreaterThan(cos(EMA, B));

    const trend = await f.http('/v1/users/mover/recommendations?limit=5&strategy=trend');
    const ema = await f.http('/v1/users/mover/recommendations?limit=5&strategy=ema');
    expect(trend.body.fallback).toBeNull();
    expect(ids(trend.body.items)).toEqual(ids(bruteForce(f.items, trendVector, [], 5)));
    const meanCosToB = (items: Array<{ id: string }>): number => items.reduce((s, i) => s + cos(f.items.find((p) => p.id === i.id)!.vector, B), 0) / items.length;
    expect(meanCosToB(trend.body.items)).toBeGreaterThan(meanCosToB(ema.body.items));
  });

  it('limit returns the newest N snapshots and their drift; the trend does not depend on it', async () => {
    const full = await f.http('/v1/users/mover/history');
    const res = await f.http('/v1/users/mover/history?limit=4');
    expect(res.status).toBe(200);
    expect(res.body.snapshots).toEqual(expectedSnapshots(4, false));
    expect(res.body.drift).toBeCloseTo(halvesDrift(SNAPSHOTS.slice(4).map((s) => s.vector)), 6);
    expect(res.body.trend).toEqual(full.body.trend);
    expect(fromGrpc(await f.grpcCall('GetHistory', { user_id: 'mover', limit: 4 }))).toEqual(res.body);

    const odd = await f.http('/v1/users/mover/history?limit=3');
    expect(odd.body.snapshots.map((s: { window: number }) => s.window)).toEqual([FIRST_WINDOW + 5, FIRST_WINDOW + 6, FIRST_WINDOW + 7]);
    expect(odd.body.drift).toBeCloseTo(1 - Math.cos((8 * Math.PI) / 180), 5);
    expect((await f.http('/v1/users/mover/history?limit=20')).body.snapshots).toHaveLength(8);
  });

  it.each([
    ['limit=0', 'limit', 'limit must be an integer from 1 to 20, got "0"'],
    ['limit=21', 'limit', 'limit must be an integer from 1 to 20, got "21"'],
    ['limit=all', 'limit', 'limit must be an integer from 1 to 20, got "all"'],
    ['include=vectors', 'include', 'include takes only "vector", got "vectors"'],
    ['strategy=trend', 'strategy', 'unknown query parameter "strategy" (this route takes include, limit)'],
  ])('HTTP %s is a 400 naming %s', async (query, field, message) => {
    const res = await f.http(`/v1/users/mover/history?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'INVALID_INPUT', message, field } });
  });

  it('gRPC rejects a limit above HISTORY_SIZE with INVALID_ARGUMENT naming limit', async () => {
    expect(await grpcError(f.grpcCall('GetHistory', { user_id: 'mover', limit: 21 }))).toEqual({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'limit must be an integer from 1 to 20, got "21"',
      field: 'limit',
    });
  });

  it('a known user without snapshots gets an empty history; an unknown or erased user is a 404', async () => {
    const fresh = await f.http('/v1/users/fresh/history');
    expect(fresh).toMatchObject({ status: 200, body: { userId: 'fresh', generation: GENERATION, snapshots: [], drift: null, trend: null } });
    expect(fromGrpc(await f.grpcCall('GetHistory', { user_id: 'fresh' }))).toEqual(fresh.body);

    const unknown = await f.http('/v1/users/stranger/history');
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'user "stranger" has no interest state', field: 'userId' } } });
    expect((await grpcError(f.grpcCall('GetHistory', { user_id: 'stranger' }))).code).toBe(GrpcStatus.NOT_FOUND);

    await f.users.putMany([userState('gone', { erased: true })]);
    expect((await f.http('/v1/users/gone/history')).status).toBe(404);
  });

  it('needs an API key like every /v1 route', async () => {
    expect((await f.http('/v1/users/mover/history', { key: null })).status).toBe(401);
    expect((await grpcError(f.grpcCall('GetHistory', { user_id: 'mover' }, 'guess'))).code).toBe(GrpcStatus.UNAUTHENTICATED);
  });
});

describe('query service: the history routes share the rate limit', () => {
  let f: QueryFixture;

  beforeAll(async () => {
    f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { RATE_LIMIT_PER_MINUTE: '2' } });
    await f.users.putMany([userState('u')]);
  });
  afterAll(async () => {
    await f.close();
  });

  it('refuses the third history request of a key within the minute on either transport', async () => {
    expect((await f.http('/v1/users/u/history')).status).toBe(200);
    await f.grpcCall('GetHistory', { user_id: 'u' });
    expect((await f.http('/v1/users/u/history')).status).toBe(429);
    expect((await grpcError(f.grpcCall('GetHistory', { user_id: 'u' }))).code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
  });
});
