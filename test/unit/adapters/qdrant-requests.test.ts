/**
 * The requests the Qdrant adapter sends, checked against a recording HTTP server (Qdrant itself
 * cannot run here; test/contracts runs the behaviour against a real one wherever QDRANT_URL is set).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/core/logger.js';
import { QdrantVectorStore, qdrantPointId, type QdrantVectorStoreOptions } from '../../../services/adapters/vector-store/qdrant-vector-store.js';
import { QdrantRecorder, collectionInfo, type Answerer } from '../../support/qdrant-recorder.js';
import { rng } from '../../support/random.js';

let recorder: QdrantRecorder | undefined;
afterEach(async () => {
  await recorder?.stop();
  recorder = undefined;
});

const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

async function storeAnswering(answer: Answerer, options: Partial<QdrantVectorStoreOptions> = {}): Promise<QdrantVectorStore> {
  recorder = await new QdrantRecorder(answer).start();
  return new QdrantVectorStore({ url: recorder.url, logger: silentLogger(), retry: FAST_RETRY, ...options });
}

const cosine64 = collectionInfo({ size: 64, distance: 'Cosine' });

function points(count: number, dim: number) {
  const rand = rng(11);
  return Array.from({ length: count }, (_, i) => ({ id: `u${i}`, vector: Float32Array.from({ length: dim }, () => rand() * 2 - 1), payload: { n: i } }));
}

describe('Qdrant upserts', () => {
  it('split 20,000 × 64 into requests under the byte limit, each point sent once with its exact float32 vector', async () => {
    const maxBytes = 2 * 1024 * 1024;
    const store = await storeAnswering((r) => (r.method === 'GET' ? cosine64 : { result: { operation_id: 1, status: 'completed' } }), {
      upsertLimits: { maxPoints: 100_000, maxBytes },
    });
    const input = points(20_000, 64);
    await store.upsert('users', input);
    const upserts = recorder!.matching('PUT', /^\/collections\/users\/points$/);
    expect(upserts.length).toBeGreaterThan(1);
    for (const u of upserts) {
      expect(u.bytes).toBeLessThanOrEqual(maxBytes);
      expect(u.query.get('wait')).toBe('true');
    }
    const sent = upserts.flatMap((u) => (u.body as { points: Array<{ id: string; vector: number[]; payload: { __id: string } }> }).points);
    expect(sent.map((p) => p.payload.__id)).toEqual(input.map((p) => p.id));
    expect(sent[123]!.id).toBe(qdrantPointId('u123'));
    for (const i of [0, 777, 19_999]) expect(Float32Array.from(sent[i]!.vector)).toEqual(input[i]!.vector);
    // The same points with ~17-digit floats: about 1.5 times the bytes.
    const total = upserts.reduce((s, u) => s + u.bytes, 0);
    const plain = JSON.stringify(sent.map((p, i) => ({ ...p, vector: Array.from(input[i]!.vector) }))).length;
    expect(total / plain).toBeLessThan(0.75);
  }, 60_000);

  it('respect the point count limit', async () => {
    const store = await storeAnswering(() => ({ result: { operation_id: 1, status: 'completed' } }), { upsertLimits: { maxPoints: 40, maxBytes: 1 << 30 } });
    await store.upsert('users', points(100, 4));
    expect(recorder!.matching('PUT', /\/points$/).map((u) => (u.body as { points: unknown[] }).points.length)).toEqual([40, 40, 20]);
  });

  it('retry a 503 and a 429, then succeed', async () => {
    const store = await storeAnswering((_, i) => (i === 0 ? { status: 503, error: 'restarting' } : i === 1 ? { status: 429, error: 'slow down' } : { result: {} }));
    await store.upsert('users', points(3, 4));
    expect(recorder!.matching('PUT', /\/points$/)).toHaveLength(3);
  });

  it('send a payload-too-large refusal back once, non-retryable, naming the server limit', async () => {
    const store = await storeAnswering((r) =>
      r.path.endsWith('/points') ? { status: 400, error: 'Format error in JSON body: JSON payload (40000000 bytes) is larger than allowed (limit: 33554432 bytes).' } : cosine64,
    );
    await expect(store.upsert('users', points(3, 4))).rejects.toMatchObject({ code: 'INVALID_INPUT', retryable: false, message: expect.stringContaining('max_request_size_mb') });
    expect(recorder!.matching('PUT', /\/points$/)).toHaveLength(1);
  });

  it('time out after the configured timeout, as a retryable STORE_UNAVAILABLE', async () => {
    const store = await storeAnswering(() => ({ delayMs: 2_000 }), { timeoutMs: 150, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const started = Date.now();
    await expect(store.count('users')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('Qdrant collections', () => {
  it('are created with the configured layout and payload indexes', async () => {
    let created = false;
    const store = await storeAnswering((r) => {
      if (r.method === 'GET') return created ? cosine64 : { status: 404, error: 'Not found: Collection `items_x` does not exist!' };
      if (r.path === '/collections/items_x') created = true;
      return { result: true };
    }, {
      collections: { onDiskPayload: true, shardNumber: 3, replicationFactor: 2, writeConsistencyFactor: 1, payloadIndexes: [{ field: 'category', type: 'keyword' }, { field: 'year', type: 'integer' }] },
    });
    await store.ensureCollection('items_x', 64);
    expect(recorder!.matching('PUT', /^\/collections\/items_x$/).map((r) => r.body)).toEqual([
      { vectors: { size: 64, distance: 'Cosine' }, on_disk_payload: true, shard_number: 3, replication_factor: 2, write_consistency_factor: 1 },
    ]);
    expect(recorder!.matching('PUT', /^\/collections\/items_x\/index$/).map((r) => r.body)).toEqual([
      { field_name: 'category', field_schema: 'keyword' },
      { field_name: 'year', field_schema: 'integer' },
    ]);
  });

  it('only add the indexes an existing collection lacks', async () => {
    const store = await storeAnswering((r) => (r.method === 'GET' ? collectionInfo({ size: 64, distance: 'Cosine' }, { category: { data_type: 'keyword' } }) : { result: true }), {
      collections: { onDiskPayload: true, shardNumber: 1, replicationFactor: 1, writeConsistencyFactor: 1, payloadIndexes: [{ field: 'category', type: 'keyword' }, { field: 'year', type: 'integer' }] },
    });
    await store.ensureCollection('items', 64);
    expect(recorder!.matching('PUT', /\/index$/).map((r) => (r.body as { field_name: string }).field_name)).toEqual(['year']);
    expect(recorder!.matching('PUT', /^\/collections\/items$/)).toHaveLength(0);
  });

  it.each([
    [{ size: 64, distance: 'Dot' }, 'exists with distance Dot'],
    [{ dense: { size: 64, distance: 'Cosine' } }, 'exists with named vectors (dense)'],
  ])('that exist with another layout (%j) are refused, not recreated', async (vectors, text) => {
    const store = await storeAnswering(() => collectionInfo(vectors));
    await expect(store.ensureCollection('users', 64)).rejects.toMatchObject({ code: 'INVALID_INPUT', retryable: false, message: expect.stringContaining(text) });
    expect(recorder!.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
  });

  it('refuse an alias that would shadow a collection, without asking Qdrant to try', async () => {
    const store = await storeAnswering((r) => (r.path === '/aliases' ? { result: { aliases: [] } } : cosine64));
    await expect(store.setAlias('users', 'users_g2')).rejects.toMatchObject({ code: 'INVALID_INPUT', retryable: false, message: expect.stringContaining('a collection is named "users"') });
    expect(recorder!.matching('POST', /aliases/)).toHaveLength(0);
  });

  it('carry QDRANT_COLLECTION_PREFIX on every collection and alias name, and hide it from callers', async () => {
    const store = await storeAnswering((r) => {
      if (r.path === '/aliases') return { result: { aliases: [{ alias_name: 't1_users', collection_name: 't1_users_g1' }, { alias_name: 'users', collection_name: 'users_g9' }] } };
      if (r.method === 'GET' && r.path === '/collections/t1_users') return { status: 404, error: 'Not found' };
      return r.method === 'GET' ? cosine64 : { result: true };
    }, { collectionPrefix: 't1_' });
    expect(await store.resolveAlias('users')).toBe('users_g1');
    await store.setAlias('users', 'users_g2');
    expect(recorder!.matching('POST', /^\/collections\/aliases$/).map((r) => r.body)).toEqual([
      { actions: [{ delete_alias: { alias_name: 't1_users' } }, { create_alias: { alias_name: 't1_users', collection_name: 't1_users_g2' } }] },
    ]);
    await store.upsert('items', points(1, 64));
    await store.count('items');
    const touched = recorder!.requests.filter((r) => r.path.startsWith('/collections/') && r.path !== '/collections/aliases').map((r) => r.path.split('/')[2]);
    // setAlias checks its target exists (t1_users_g2); every name carries the prefix.
    expect(new Set(touched)).toEqual(new Set(['t1_users_g2', 't1_items']));
  });
});
