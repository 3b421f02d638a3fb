/**
 * Request-shape tests: the exact requests the Qdrant adapter sends through the real
 * @qdrant/js-client-rest, captured by a local recording HTTP server (test/support/qdrant-recorder.ts)
 * that answers with response bodies as Qdrant's REST reference documents them. The recorder is not
 * Qdrant and stores nothing: what Qdrant then does with these requests is the contract suite's job
 * (test/contracts/qdrant-vector-store.test.ts) against a real server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/core/logger.js';
import { QdrantVectorStore, qdrantPointId, type QdrantVectorStoreOptions } from '../../../services/adapters/vector-store/qdrant-vector-store.js';
import { conditionalUpsertOperations } from '../../../services/adapters/vector-store/qdrant-conditional-upsert.js';
import { stripReserved } from '../../../services/adapters/vector-store/qdrant-points.js';
import { clientAddress } from '../../../services/adapters/vector-store/qdrant-server.js';
import { QdrantRecorder, collectionInfo, type Answerer } from '../../support/qdrant-recorder.js';

let recorder: QdrantRecorder | undefined;
afterEach(async () => {
  await recorder?.stop();
  recorder = undefined;
});

async function storeAnswering(answer: Answerer, options: Partial<QdrantVectorStoreOptions> = {}, path = ''): Promise<QdrantVectorStore> {
  recorder = await new QdrantRecorder(answer).start();
  return new QdrantVectorStore({ url: recorder.url + path, logger: silentLogger(), retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, ...options });
}

const cosine4 = collectionInfo({ size: 4, distance: 'Cosine' });
const rootAnswer = (version: string) => ({ raw: { title: 'qdrant - vector search engine', version, commit: '0'.repeat(40) } });
const notFound = (name: string) => ({ status: 404, error: `Not found: Collection \`${name}\` doesn't exist!` });

describe('Qdrant server version', () => {
  it.each(['1.9.2', '1.15.5'])('refuses %s, which drops the conditional upsert\'s update_filter unread (CONFIG_INVALID, not retried)', async (version) => {
    const store = await storeAnswering(() => rootAnswer(version));
    await expect(store.start()).rejects.toMatchObject({ code: 'CONFIG_INVALID', retryable: false, message: expect.stringContaining(`qdrant ${version} is too old`) });
    expect(recorder!.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /']);
  });

  it.each(['1.16.0', '1.18.0', '2.0.1', 'dev-build'])('accepts %s', async (version) => {
    const store = await storeAnswering((r) => (r.path === '/' ? rootAnswer(version) : { result: { collections: [] } }));
    await expect(store.start()).resolves.toBeUndefined();
  });
});

describe('Qdrant start', () => {
  it('checks the API key with an authenticated request, since GET / is exempt from Qdrant\'s auth', async () => {
    const store = await storeAnswering((r) => (r.path === '/' ? rootAnswer('1.18.0') : { status: 401, text: 'Must provide an API key or an Authorization bearer token' }));
    await expect(store.start()).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      retryable: false,
      message: 'qdrant: authenticate: Must provide an API key or an Authorization bearer token (check QDRANT_API_KEY)',
    });
    expect(recorder!.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /', 'GET /collections']);
  });
});

describe('QDRANT_URL with a path (a reverse proxy)', () => {
  it('keeps the path in front of every request (the client alone would drop it)', async () => {
    const store = await storeAnswering((r) => (r.path.endsWith('/count') ? { result: { count: 3 } } : cosine4), {}, '/qdrant/');
    expect(await store.count('users')).toBe(3);
    await store.ensureCollection('users', 4);
    expect(recorder!.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /qdrant/collections/users/points/count', 'GET /qdrant/collections/users']);
  });
});

describe('Qdrant alias switch', () => {
  it('to a missing collection fails NOT_FOUND and leaves the alias alone (Qdrant would delete it, then fail the create)', async () => {
    const store = await storeAnswering((r) => {
      if (r.path === '/aliases') return { result: { aliases: [{ alias_name: 'users', collection_name: 'users_g1' }] } };
      if (r.path === '/collections/users_g9') return notFound('users_g9');
      if (r.path === '/collections/aliases') return notFound('users_g9');
      return cosine4;
    });
    await expect(store.setAlias('users', 'users_g9')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('users_g9') });
    expect(recorder!.matching('POST', /^\/collections\/aliases$/)).toHaveLength(0);
  });

  it('to an existing collection deletes and recreates the alias in one request', async () => {
    const store = await storeAnswering((r) => (r.path === '/aliases' ? { result: { aliases: [{ alias_name: 'users', collection_name: 'users_g1' }] } } : cosine4));
    await store.setAlias('users', 'users_g2');
    expect(recorder!.matching('POST', /^\/collections\/aliases$/).map((r) => r.body)).toEqual([
      { actions: [{ delete_alias: { alias_name: 'users' } }, { create_alias: { alias_name: 'users', collection_name: 'users_g2' } }] },
    ]);
  });
});

describe('Qdrant conditional upsert requests', () => {
  const keys = { stream: 'wp', position: 'wo' };
  const point = (i: number) => ({ id: `user-${i}`, vector: Float32Array.of(0.5, -0.5, 0.5, -0.5), payload: { wp: i % 3, wo: 1000 + i } });

  it('stay under the byte limit counting each operation\'s update_filter, and carry every point once, in order', async () => {
    const maxBytes = 4096;
    const store = await storeAnswering((r) => (r.path.endsWith('/batch') ? { result: [{ operation_id: 1, status: 'completed' }] } : { result: [] }), {
      upsertLimits: { maxPoints: 1000, maxBytes },
    });
    const points = Array.from({ length: 100 }, (_, i) => point(i));
    expect(await store.upsertIfNewer('users_g1', points, keys)).toEqual({ stale: 0 });
    const batches = recorder!.matching('POST', /^\/collections\/users_g1\/points\/batch$/);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(b.bytes).toBeLessThanOrEqual(maxBytes);
    type Op = { upsert: { points: Array<{ id: string }> } };
    const sent = batches.flatMap((b) => (b.body as { operations: Op[] }).operations.map((o) => o.upsert.points[0]!.id));
    expect(sent).toEqual(points.map((p) => qdrantPointId(p.id)));
  });

  it('name the point of the wrong size when Qdrant refuses the batch for its dimension', async () => {
    const store = await storeAnswering((r) => (r.method === 'GET' ? cosine4 : { status: 400, error: 'Wrong input: Vector dimension error: expected dim: 4, got 5' }));
    const wide = { id: 'too-wide', vector: Float32Array.of(0.2, 0.2, 0.2, 0.2, 0.2), payload: { wp: 0, wo: 1 } };
    await expect(store.upsertIfNewer('users_g1', [point(1), wide], keys)).rejects.toMatchObject({
      code: 'DIMENSION_MISMATCH',
      retryable: false,
      details: { id: 'too-wide', expected: 4, actual: 5 },
    });
  });

  it('compare a fractional stream with a one-point range (Qdrant refuses a fractional match value)', () => {
    const body = { id: qdrantPointId('u'), vector: [1], payload: {} };
    const [fractional, integral] = conditionalUpsertOperations([body, body], [{ stream: 1.5, position: 9 }, { stream: 2, position: 9 }], keys);
    expect(fractional).toEqual({
      upsert: { points: [body], update_filter: { must_not: [{ must: [{ key: 'wp', range: { gte: 1.5, lte: 1.5 } }, { key: 'wo', range: { gt: 9 } }] }] } },
    });
    expect(integral).toEqual({
      upsert: { points: [body], update_filter: { must_not: [{ must: [{ key: 'wp', match: { value: 2 } }, { key: 'wo', range: { gt: 9 } }] }] } },
    });
  });
});

describe('Qdrant failures', () => {
  it('retry a 408, Qdrant\'s own timeout of an operation (not a permanent INTERNAL)', async () => {
    const store = await storeAnswering((_, i) => (i === 0 ? { status: 408, error: 'Timeout error: Operation timed out' } : { result: { count: 7 } }), {
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    expect(await store.count('users')).toBe(7);
    expect(recorder!.requests).toHaveLength(2);
  });

  it('treat "already exists" (409) from a replica that created the collection first as success', async () => {
    let described = 0;
    const store = await storeAnswering((r) => {
      if (r.method === 'GET') return described++ === 0 ? notFound('users') : cosine4;
      return { status: 409, error: 'Wrong input: Collection `users` already exists!' };
    });
    await expect(store.ensureCollection('users', 4)).resolves.toBeUndefined();
    expect(recorder!.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /collections/users', 'PUT /collections/users', 'GET /collections/users']);
  });
});

describe('Qdrant reads', () => {
  it('search sends one Query API request with the filter, exclusions as has_id, payload without vectors', async () => {
    const hit = { id: qdrantPointId('item-7'), version: 3, score: 0.875, payload: { __id: 'item-7', genre: 'jazz' } };
    const store = await storeAnswering(() => ({ result: { points: [hit] } }));
    const hits = await store.search('items', {
      vector: Float32Array.of(0.1, 0.2, 0.3, 0.4),
      limit: 5,
      excludeIds: ['item-1'],
      filter: { must: [{ key: 'genre', eq: 'jazz' }, { key: 'year', range: { gte: 2000 } }] },
    });
    expect(recorder!.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      [
        'POST',
        '/collections/items/points/query',
        {
          query: [0.1, 0.2, 0.3, 0.4].map((x) => Number(Math.fround(x).toPrecision(9))),
          limit: 5,
          filter: { must: [{ key: 'genre', match: { value: 'jazz' } }, { key: 'year', range: { gte: 2000 } }], must_not: [{ has_id: [qdrantPointId('item-1')] }] },
          with_payload: true,
          with_vector: false,
        },
      ],
    ]);
    expect(hits).toEqual([{ id: 'item-7', score: 0.875, payload: { genre: 'jazz' } }]);
  });

  it('get, delete and count send the documented bodies, writes with wait=true', async () => {
    const record = { id: qdrantPointId('a'), payload: { __id: 'a', n: 1 }, vector: [1, 0, 0, 0] };
    const store = await storeAnswering((r) => (r.path.endsWith('/count') ? { result: { count: 1 } } : r.path.endsWith('/points') ? { result: [record] } : { result: { operation_id: 2, status: 'completed' } }));
    const got = await store.get('users', ['a', 'b', 'a']);
    await store.delete('users', ['a', 'a']);
    await store.count('users');
    expect(recorder!.requests.map((r) => [r.method, r.path, r.query.toString(), r.body])).toEqual([
      ['POST', '/collections/users/points', '', { ids: [qdrantPointId('a'), qdrantPointId('b')], with_payload: true, with_vector: true }],
      ['POST', '/collections/users/points/delete', 'wait=true', { points: [qdrantPointId('a')] }],
      ['POST', '/collections/users/points/count', '', { exact: true }],
    ]);
    expect([...got]).toEqual([['a', { id: 'a', vector: Float32Array.of(1, 0, 0, 0), payload: { n: 1 } }]]);
  });

  it('give payload integers beyond 2^53 back as numbers, as written (the client revives them as BigInt on Node 22+)', () => {
    const big = 2 ** 60;
    const nested = { keep: 'x' };
    const { id, payload } = stripReserved({ __id: 'a', ts: BigInt(big), list: [1, BigInt(-big), { deep: BigInt(big) }], nested });
    expect(id).toBe('a');
    expect(payload).toEqual({ ts: big, list: [1, -big, { deep: big }], nested: { keep: 'x' } });
    expect(payload.nested).toBe(nested);
    expect(() => JSON.stringify(payload)).not.toThrow();
  });
});

describe('QDRANT_URL as the client sees it', () => {
  it.each([
    ['http://qdrant:6333', { url: 'http://qdrant:6333' }],
    ['http://qdrant:6333/', { url: 'http://qdrant:6333/' }],
    ['https://gw.example.com/qdrant/', { url: 'https://gw.example.com', prefix: '/qdrant' }],
    ['https://gw.example.com:8443/a/b', { url: 'https://gw.example.com:8443', prefix: '/a/b' }],
    ['qdrant:6333', { url: 'qdrant:6333' }],
  ])('%s -> %j', (url, expected) => {
    expect(clientAddress(url)).toEqual(expected);
  });
});
