/**
 * Section `start`: how long a starting query process waits for the embedded store's HNSW index
 * (services/adapters/vector-store/ann-indexes.ts) — a full build against the saved index loaded, and
 * loaded then patched with 1 % of the rows rewritten by another process — in one run on one catalogue.
 * In-process and without Redis or Kafka: the clock runs from a new store instance to its index
 * answering, the start triggered by the first search as in the query service.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRootLogger, silentLogger } from '../services/core/logger.js';
import type { IndexStart } from '../services/adapters/vector-store/ann-indexes.js';
import { EmbeddedVectorStore } from '../services/adapters/vector-store/embedded-vector-store.js';
import { createCatalogue, type Catalogue } from '../services/workload/catalogue.js';
import { round, type Row } from './report.js';

const COLLECTION = 'items';
const TARGET_S = 2;

async function importCatalogue(dir: string, catalogue: Catalogue): Promise<void> {
  const store = new EmbeddedVectorStore({ directory: dir, logger: silentLogger(), ann: false });
  await store.start();
  await store.ensureCollection(COLLECTION, catalogue.dimension);
  let batch = [];
  for (const item of catalogue.items()) {
    batch.push(item);
    if (batch.length === 10_000) {
      await store.upsert(COLLECTION, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await store.upsert(COLLECTION, batch);
  await store.close();
}

/** Another process rewrites `count` items (each vector negated): what a patched start has to catch up with. */
async function rewriteSome(dir: string, catalogue: Catalogue, count: number): Promise<void> {
  const store = new EmbeddedVectorStore({ directory: dir, logger: silentLogger(), ann: false });
  await store.start();
  const step = Math.floor(catalogue.size / count);
  const ids = Array.from({ length: count }, (_, i) => catalogue.itemId(i * step));
  const points = await store.get(COLLECTION, ids);
  await store.upsert(
    COLLECTION,
    [...points.values()].map((p) => ({ ...p, vector: p.vector.map((x) => -x) })),
  );
  await store.close();
}

/** A new store on `dir` until its index answers; the store is closed once its saved file (if it writes one) is in place. */
async function timedStart(dir: string, probe: Float32Array, log: string[]): Promise<{ seconds: number; start: IndexStart }> {
  const logger = createRootLogger({ level: 'info', name: 'bench' }, { write: (line: string) => void log.push(line.trim()) });
  const t = performance.now();
  const store = new EmbeddedVectorStore({ directory: dir, logger });
  await store.start();
  await store.search(COLLECTION, { vector: probe, limit: 10 });
  let status = store.annIndexStatus(COLLECTION);
  for (let polls = 1; status?.start === undefined; polls++) {
    if (performance.now() - t > 2_400_000) throw new Error(`ANN index not serving within 40 minutes; log:\n${log.join('\n')}`);
    await new Promise((r) => setTimeout(r, 5));
    // A search now and then, as traffic would: a failed start is retried only on a search.
    if (polls % 2_000 === 0) await store.search(COLLECTION, { vector: probe, limit: 10 });
    status = store.annIndexStatus(COLLECTION);
  }
  const seconds = (performance.now() - t) / 1000;
  const pointer = path.join(dir, '_ann', `${COLLECTION}.json`);
  if (status.start.outcome === 'built') while (!existsSync(pointer)) await new Promise((r) => setTimeout(r, 20));
  await store.close();
  return { seconds, start: status.start };
}

function savedBytes(dir: string): number {
  const pointer = JSON.parse(readFileSync(path.join(dir, '_ann', `${COLLECTION}.json`), 'utf8')) as { file: string };
  return statSync(path.join(dir, '_ann', COLLECTION, pointer.file)).size;
}

export async function indexStart(opts: { items: number; dimension: number }): Promise<{ rows: Row[]; log: string[] }> {
  const catalogue = createCatalogue({ items: opts.items, dimension: opts.dimension, clusters: 20, seed: 47 });
  const dir = mkdtempSync(path.join(tmpdir(), 'is-bench-start-'));
  const log: string[] = [];
  try {
    await importCatalogue(dir, catalogue);
    const probe = catalogue.centres[0]!;
    const built = await timedStart(dir, probe, log);
    const mib = savedBytes(dir) / 2 ** 20;
    const loaded = await timedStart(dir, probe, log);
    const changed = Math.max(1, Math.round(opts.items / 100));
    await rewriteSome(dir, catalogue, changed);
    const patched = await timedStart(dir, probe, log);
    const variant = `${opts.items.toLocaleString('en-US')} items, d=${opts.dimension}`;
    const check = (s: { seconds: number; start: IndexStart }, outcome: string) => (s.start.outcome === outcome ? '' : ` (expected ${outcome}, was ${s.start.outcome}: ${s.start.reason})`);
    return {
      rows: [
        { measurement: 'index start', variant: `${variant}, full build (no saved index)`, value: round(built.seconds, 2), unit: 's', notes: `what every start cost before; then saved: ${Math.round(mib)} MiB${check(built, 'built')}`, details: built },
        { measurement: 'index start', variant: `${variant}, saved index loaded`, value: round(loaded.seconds, 2), unit: 's', target: `<= ${TARGET_S}`, met: loaded.seconds <= TARGET_S, notes: check(loaded, 'loaded'), details: loaded },
        {
          measurement: 'index start',
          variant: `${variant}, saved index + ${changed.toLocaleString('en-US')} rows rewritten since, patched`,
          value: round(patched.seconds, 2),
          unit: 's',
          target: `<= ${TARGET_S}`,
          met: patched.seconds <= TARGET_S,
          notes: `${patched.start.patched} rows patched${check(patched, 'patched')}`,
          details: patched,
        },
        { measurement: 'index start', variant: `${variant}, full build / saved index loaded`, value: round(built.seconds / loaded.seconds, 1), unit: '×', notes: `patched: ${round(built.seconds / patched.seconds, 1)}×` },
      ],
      log: log.filter((l) => /ANN index/.test(l)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
