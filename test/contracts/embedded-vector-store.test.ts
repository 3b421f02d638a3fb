import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '@lancedb/lancedb';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/core/logger.js';
import { EmbeddedVectorStore } from '../../services/adapters/vector-store/embedded-vector-store.js';
import { unique } from '../support/names.js';
import { describeVectorStoreContract } from './vector-store.contract.js';

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

  it('close() is idempotent and returns the same promise', async () => {
    const store = new EmbeddedVectorStore({ directory: await tempDir(), logger: silentLogger() });
    await store.start();
    const first = store.close();
    expect(store.close()).toBe(first);
    await first;
    await expect(store.collectionDimension('anything')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
