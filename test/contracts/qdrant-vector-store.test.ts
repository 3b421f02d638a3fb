import { QdrantClient } from '@qdrant/js-client-rest';
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/core/logger.js';
import { QdrantVectorStore } from '../../services/adapters/vector-store/qdrant-vector-store.js';
import { describeVectorStoreContract } from './vector-store.contract.js';
import { unique } from '../support/names.js';
import { rng } from '../support/random.js';

// Same image as docker-compose.yml: the server minor version must stay near the client's.
const IMAGE = 'qdrant/qdrant:v1.18.0';

async function dockerAnswers(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

const configuredUrl = process.env.QDRANT_URL;
const enabled = configuredUrl !== undefined && configuredUrl !== '' ? true : await dockerAnswers();
if (!enabled) console.warn('Qdrant contract suite did not run: QDRANT_URL is not set and no Docker engine answers');

describe.runIf(enabled)('Qdrant', () => {
  let container: StartedTestContainer | undefined;
  let url = configuredUrl ?? '';

  beforeAll(async () => {
    if (url !== '') return;
    container = await new GenericContainer(IMAGE).withExposedPorts(6333).withWaitStrategy(Wait.forHttp('/readyz', 6333)).start();
    url = `http://${container.getHost()}:${container.getMappedPort(6333)}`;
  }, 180_000);

  afterAll(async () => {
    await container?.stop();
  });

  describeVectorStoreContract('qdrant', () => new QdrantVectorStore({ url, logger: silentLogger() }));

  describe('production settings (issue 14)', () => {
    const raw = () => new QdrantClient({ url, checkCompatibility: false });
    const created: string[] = [];
    const fresh = (prefix: string) => {
      const name = unique(prefix);
      created.push(name);
      return name;
    };
    afterAll(async () => {
      for (const name of created) await raw().deleteCollection(name).catch(() => undefined);
    });

    it.each([
      [{ size: 8, distance: 'Dot' as const }, 'exists with distance Dot'],
      [{ dense: { size: 8, distance: 'Cosine' as const } }, 'exists with named vectors (dense)'],
    ])('refuses an existing collection with another layout (%j), non-retryable', async (vectors, text) => {
      const name = fresh('layout');
      await raw().createCollection(name, { vectors });
      const store = new QdrantVectorStore({ url, logger: silentLogger() });
      await expect(store.ensureCollection(name, 8)).rejects.toMatchObject({ code: 'INVALID_INPUT', retryable: false, message: expect.stringContaining(text) });
      await store.close();
    });

    it('creates payload indexes and on-disk payload from its options', async () => {
      const name = fresh('indexed');
      const store = new QdrantVectorStore({
        url,
        logger: silentLogger(),
        collections: { onDiskPayload: true, shardNumber: 2, replicationFactor: 1, writeConsistencyFactor: 1, payloadIndexes: [{ field: 'genre', type: 'keyword' }, { field: 'year', type: 'integer' }] },
      });
      await store.ensureCollection(name, 8);
      const info = await raw().getCollection(name);
      expect(info.config.params.on_disk_payload).toBe(true);
      expect(info.config.params.shard_number).toBe(2);
      expect(Object.fromEntries(Object.entries(info.payload_schema).map(([k, v]) => [k, v?.data_type]))).toEqual({ genre: 'keyword', year: 'integer' });
      await store.close();
    });

    it('writes in chunks under small limits and every vector reads back bit-exact', async () => {
      const name = fresh('chunked');
      const store = new QdrantVectorStore({ url, logger: silentLogger(), upsertLimits: { maxPoints: 7, maxBytes: 8192 } });
      await store.ensureCollection(name, 16);
      const rand = rng(5);
      const points = Array.from({ length: 100 }, (_, i) => {
        const v = Array.from({ length: 16 }, () => rand() - 0.5);
        const n = Math.hypot(...v);
        return { id: `p${i}`, vector: Float32Array.from(v, (x) => x / n), payload: { i } };
      });
      await store.upsert(name, points);
      expect(await store.count(name)).toBe(100);
      const back = await store.get(name, points.map((p) => p.id));
      for (const p of points) expect(Array.from(new Uint32Array(back.get(p.id)!.vector.buffer))).toEqual(Array.from(new Uint32Array(p.vector.buffer)));
      await store.close();
    });

    it('refuses an alias named like an existing collection, non-retryable', async () => {
      const a = fresh('alias-a');
      const b = fresh('alias-b');
      const store = new QdrantVectorStore({ url, logger: silentLogger() });
      await store.ensureCollection(a, 4);
      await store.ensureCollection(b, 4);
      await expect(store.setAlias(a, b)).rejects.toMatchObject({ code: 'INVALID_INPUT', retryable: false });
      await store.close();
    });
  });

  it('reports an unreachable server as STORE_UNAVAILABLE (retryable)', async () => {
    const store = new QdrantVectorStore({ url: 'http://127.0.0.1:1', logger: silentLogger(), timeoutMs: 2_000 });
    await expect(store.start()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
  });
});
