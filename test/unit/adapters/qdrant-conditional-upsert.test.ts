import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/core/logger.js';
import { QdrantVectorStore, qdrantPointId } from '../../../services/adapters/vector-store/qdrant-vector-store.js';

/**
 * Qdrant cannot run here: a local HTTP server records what @qdrant/js-client-rest actually sends and
 * answers as Qdrant 1.18 would. The behaviour against a real server is pinned by the contract suite.
 */
const requests: Array<{ method: string; url: string; body: unknown }> = [];
let storedPayloads: Array<{ id: string; payload: Record<string, unknown> }> = [];

function answer(req: IncomingMessage, res: ServerResponse, body: unknown): void {
  requests.push({ method: req.method ?? '', url: req.url ?? '', body });
  const result = req.url?.endsWith('/points/batch') ? [{ operation_id: 1, status: 'completed' }] : storedPayloads;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ result, status: 'ok', time: 0 }));
}

const server = createServer((req, res) => {
  let raw = '';
  req.on('data', (d: Buffer) => (raw += d.toString()));
  req.on('end', () => answer(req, res, raw === '' ? undefined : JSON.parse(raw)));
});
let url = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const keys = { stream: 'wmPartition', position: 'wmOffset' };
const point = (id: string, wmPartition: number, wmOffset: number) => ({ id, vector: Float32Array.from([1, 0]), payload: { wmPartition, wmOffset } });

describe('QdrantVectorStore.upsertIfNewer', () => {
  it('sends one batch request with one upsert per point, each guarded by "not the same stream at a greater position"', async () => {
    requests.length = 0;
    storedPayloads = [
      { id: qdrantPointId('a'), payload: { wmPartition: 0, wmOffset: 7 } },
      { id: qdrantPointId('b'), payload: { wmPartition: 1, wmOffset: 12 } },
    ];
    const store = new QdrantVectorStore({ url, logger: silentLogger() });
    const result = await store.upsertIfNewer('users_g1', [point('a', 0, 7), point('b', 1, 3)], keys);

    expect(requests[0]).toEqual({
      method: 'POST',
      url: '/collections/users_g1/points/batch?wait=true',
      body: {
        operations: [
          {
            upsert: {
              points: [{ id: qdrantPointId('a'), vector: [1, 0], payload: { wmPartition: 0, wmOffset: 7, __id: 'a' } }],
              update_filter: { must_not: [{ must: [{ key: 'wmPartition', match: { value: 0 } }, { key: 'wmOffset', range: { gt: 7 } }] }] },
            },
          },
          {
            upsert: {
              points: [{ id: qdrantPointId('b'), vector: [1, 0], payload: { wmPartition: 1, wmOffset: 3, __id: 'b' } }],
              update_filter: { must_not: [{ must: [{ key: 'wmPartition', match: { value: 1 } }, { key: 'wmOffset', range: { gt: 3 } }] }] },
            },
          },
        ],
      },
    });
    // The read-back asks for the version keys only; "b" still holds offset 12, so its write was stale.
    expect(requests[1]).toMatchObject({
      method: 'POST',
      url: '/collections/users_g1/points',
      body: { ids: [qdrantPointId('a'), qdrantPointId('b')], with_payload: { include: ['wmPartition', 'wmOffset'] }, with_vector: false },
    });
    expect(result).toEqual({ stale: 1 });
  });

  it('refuses a point without a numeric version before sending anything', async () => {
    requests.length = 0;
    const store = new QdrantVectorStore({ url, logger: silentLogger() });
    const bad = { id: 'x', vector: Float32Array.from([1, 0]), payload: { wmPartition: 0 } };
    await expect(store.upsertIfNewer('users_g1', [bad], keys)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('"x"') });
    expect(requests).toEqual([]);
  });
});
