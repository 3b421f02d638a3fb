import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Schema, Utf8 } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/core/logger.js';
import type { Filter, SearchHit, VectorPoint } from '../../services/domain/ports/index.js';
import { EmbeddedVectorStore } from '../../services/adapters/vector-store/embedded-vector-store.js';
import { eventually } from '../support/eventually.js';
import { unique } from '../support/names.js';
import { randomVector, rng } from '../support/random.js';
import { describeVectorStoreContract } from './vector-store.contract.js';
import { cosine, exactTopIds } from '../support/math.js';

const run = promisify(execFile);
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'embedded-vs-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describeVectorStoreContract('embedded (LanceDB)', async () => new EmbeddedVectorStore({ directory: await tempDir(), logger: silentLogger() }));

function point(id: string, x: number) {
  return { id, vector: Float32Array.from([x, 1 - x, 0]), payload: { id } };
}

describe('EmbeddedVectorStore across processes and writes', () => {
  it('a reader sees points that another process wrote after the reader opened the table', async () => {
    const dir = await tempDir();
    const reader = new EmbeddedVectorStore({ directory: dir, logger: silentLogger() });
    await reader.start();
    const col = unique('shared');
    await reader.ensureCollection(col, 3);
    await reader.upsert(col, [point('before', 0.5)]);
    expect(await reader.count(col)).toBe(1);

    const script = join(dir, 'writer.mts');
    const adapter = resolve('services/adapters/vector-store/embedded-vector-store.ts');
    await writeFile(
      script,
      `import { EmbeddedVectorStore } from ${JSON.stringify(adapter)};
       import { silentLogger } from ${JSON.stringify(resolve('services/core/logger.ts'))};
       const s = new EmbeddedVectorStore({ directory: ${JSON.stringify(dir)}, logger: silentLogger() });
       await s.start();
       await s.upsert(${JSON.stringify(col)}, [{ id: 'from-child', vector: Float32Array.from([1, 0, 0]), payload: { by: 'child' } }]);
       await s.close();`,
    );
    await run(resolve('node_modules/.bin/tsx'), [script]);

    expect(await reader.count(col)).toBe(2);
    const hits = await reader.search(col, { vector: Float32Array.from([1, 0, 0]), limit: 1 });
    expect(hits).toEqual([{ id: 'from-child', score: expect.closeTo(1, 5), payload: { by: 'child' } }]);
    await reader.close();
  });

  it('two processes creating the same collections at once both get them (the second uses the first one\'s table)', async () => {
    const dir = await tempDir();
    const a = new EmbeddedVectorStore({ directory: dir, logger: silentLogger() });
    const b = new EmbeddedVectorStore({ directory: dir, logger: silentLogger() });
    await Promise.all([a.start(), b.start()]);
    const cols = Array.from({ length: 8 }, () => unique('race'));
    await Promise.all(cols.flatMap((c) => [a.ensureCollection(c, 3), b.ensureCollection(c, 3)]));
    await a.upsert(cols[0]!, [point('from-a', 0.5)]);
    expect((await b.get(cols[0]!, ['from-a'])).get('from-a')?.payload).toEqual({ id: 'from-a' });
    await expect(b.ensureCollection(cols[1]!, 4)).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    await Promise.all([a.close(), b.close()]);
  });

  it('compacts a table every N writes, so small upserts do not pile up fragments', async () => {
    const dir = await tempDir();
    const store = new EmbeddedVectorStore({ directory: dir, logger: silentLogger(), compactEvery: 10 });
    await store.start();
    const col = unique('compact');
    await store.ensureCollection(col, 3);
    for (let i = 0; i < 35; i++) await store.upsert(col, [point(`p${i}`, i / 35)]);
    await store.close();

    const db = await connect(dir);
    const stats = await (await db.openTable(col)).stats();
    db.close();
    // Compacted into one fragment after write 30; writes 31-35 added one fragment each.
    expect(stats.fragmentStats.numFragments).toBe(6);
    expect(stats.numRows).toBe(35);
  });

  it('reads a table made before the version columns without changing it, and adds them on the first conditional upsert', async () => {
    const dir = await tempDir();
    const col = unique('old-table');
    const db = await connect(dir);
    const old = new Schema([
      new Field('id', new Utf8(), false),
      new Field('vector', new FixedSizeList(3, new Field('item', new Float32(), true)), false),
      new Field('payload', new Utf8(), false),
    ]);
    await (await db.createEmptyTable(col, old)).add([{ id: 'u', vector: [1, 0, 0], payload: JSON.stringify({ wp: 0, wo: 5, tag: 'old' }) }]);
    const versionOf = async () => (await db.openTable(col)).version();
    const before = await versionOf();

    const store = new EmbeddedVectorStore({ directory: dir, logger: silentLogger() });
    await store.start();
    expect((await store.get(col, ['u'])).get('u')?.payload.tag).toBe('old');
    await store.upsert(col, [point('plain', 0.5)]);
    expect(await versionOf()).toBe(before + 1);
    const keys = { stream: 'wp', position: 'wo' };
    const at = (wo: number, tag: string) => ({ id: 'u', vector: Float32Array.from([0, 1, 0]), payload: { wp: 0, wo, tag } });
    expect(await store.upsertIfNewer(col, [at(6, 'new')], keys)).toEqual({ stale: 0 });
    expect(await store.upsertIfNewer(col, [at(4, 'stale')], keys)).toEqual({ stale: 1 });
    expect((await store.get(col, ['u'])).get('u')?.payload.tag).toBe('new');
    expect(await store.count(col)).toBe(2);
    await store.close();
    db.close();
  });

  it('close() is idempotent and returns the same promise', async () => {
    const store = new EmbeddedVectorStore({ directory: await tempDir(), logger: silentLogger() });
    await store.start();
    const first = store.close();
    expect(store.close()).toBe(first);
    await first;
    await expect(store.collectionDimension('anything')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});

const ANN_DIM = 32;
const GENRES = ['rock', 'jazz', 'pop', 'folk'];

type AnnItem = VectorPoint & { payload: { genre: string; rank: number } };

function annItems(count: number): AnnItem[] {
  const rand = rng(2024);
  return Array.from({ length: count }, (_, i) => ({ id: `i${i}`, vector: randomVector(rand, ANN_DIM), payload: { genre: GENRES[i % 4]!, rank: i } }));
}

const exactIds = exactTopIds<AnnItem>;

const ids = (hits: SearchHit[]) => hits.map((h) => h.id);

describe('EmbeddedVectorStore with the ANN index (threshold 500, 2,000 points)', () => {
  const items = annItems(2_000);
  const queries = Array.from({ length: 40 }, (_, i) => randomVector(rng(900 + i), ANN_DIM));

  async function indexedStore(dir: string, col: string) {
    const store = new EmbeddedVectorStore({ directory: dir, logger: silentLogger(), ann: { threshold: 500, checkEveryMs: 200 } });
    await store.start();
    await store.ensureCollection(col, ANN_DIM);
    await store.upsert(col, items);
    // The first search is exact and starts the build; later ones use the index once it is loaded.
    await store.search(col, { vector: queries[0]!, limit: 1 });
    await eventually(() => store.annIndexStatus(col)?.rows === items.length, { timeoutMs: 15_000 });
    return store;
  }

  it('answers with recall@10 >= 0.9, never returning an excluded id or an item the filter rejects', async () => {
    const col = unique('ann');
    const store = await indexedStore(await tempDir(), col);
    const filter: Filter = { must: [{ key: 'genre', in: ['rock', 'jazz'] }] };
    let found = 0;
    let foundFiltered = 0;
    for (const q of queries) {
      const excluded = exactIds(items, q, 15, () => true).filter((_, i) => i % 2 === 0);
      const plain = await store.search(col, { vector: q, limit: 10 });
      found += exactIds(items, q, 10, () => true).filter((id) => ids(plain).includes(id)).length;

      const hits = await store.search(col, { vector: q, limit: 10, excludeIds: excluded, filter });
      expect(hits).toHaveLength(10);
      for (const h of hits) {
        expect(excluded).not.toContain(h.id);
        expect(['rock', 'jazz']).toContain(h.payload.genre);
        expect(h.score).toBeCloseTo(cosine(items[Number(h.id.slice(1))]!.vector, q), 5);
      }
      const keep = (i: AnnItem) => !excluded.includes(i.id) && ['rock', 'jazz'].includes(i.payload.genre);
      foundFiltered += exactIds(items, q, 10, keep).filter((id) => ids(hits).includes(id)).length;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.9);
    expect(foundFiltered / (queries.length * 10)).toBeGreaterThanOrEqual(0.9);
    await store.close();
  });

  it('falls back to the exact ranking when the filter keeps too few items to over-fetch for', async () => {
    const col = unique('ann-selective');
    const store = await indexedStore(await tempDir(), col);
    // 12 of 2,000 items pass: the index would need most of the collection as candidates.
    const filter: Filter = { must: [{ key: 'rank', range: { lt: 12 } }] };
    for (const q of queries.slice(0, 5)) {
      const hits = await store.search(col, { vector: q, limit: 5, filter, excludeIds: ['i0'] });
      expect(ids(hits)).toEqual(exactIds(items, q, 5, (i) => i.payload.rank < 12 && i.id !== 'i0'));
    }
    await store.close();
  });

  it("sees its own writes at once and another instance's writes within the refresh bound (1.5 s here)", async () => {
    const dir = await tempDir();
    const col = unique('ann-shared');
    const reader = await indexedStore(dir, col);
    const q = queries[1]!;
    const top = exactIds(items, q, 1, () => true)[0]!;

    await reader.upsert(col, [{ id: 'own', vector: q, payload: { genre: 'own', rank: -1 } }]);
    expect(ids(await reader.search(col, { vector: q, limit: 1 }))).toEqual(['own']);

    const writer = new EmbeddedVectorStore({ directory: dir, logger: silentLogger(), ann: false });
    await writer.start();
    const opposite = q.map((x) => -x);
    await writer.upsert(col, [{ id: 'other', vector: opposite, payload: { genre: 'other', rank: -2 } }]);
    await writer.delete(col, ['own', top]);
    const written = Date.now();
    await writer.close();

    // Version check at most every 200 ms, then a read of the table and a patch of the index.
    await eventually(
      async () => {
        expect(ids(await reader.search(col, { vector: opposite, limit: 1 }))).toEqual(['other']);
        expect(ids(await reader.search(col, { vector: q, limit: 10 }))).not.toContain(top);
        expect(ids(await reader.search(col, { vector: q, limit: 10 }))).not.toContain('own');
        return true;
      },
      { timeoutMs: 1_500, intervalMs: 20 },
    );
    expect(Date.now() - written).toBeLessThan(1_500);
    expect(reader.annIndexStatus(col)?.rows).toBe(items.length);
    await reader.close();
  });
});
