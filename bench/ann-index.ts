/**
 * The embedded store's in-memory HNSW index (services/adapters/vector-store/ann-indexes.ts), measured
 * in-process without HTTP: build time and memory, single-search latency with the users' seen items
 * excluded, and recall@10 against brute force over the same catalogue, same exclusions.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../services/core/logger.js';
import { EmbeddedVectorStore } from '../services/adapters/vector-store/embedded-vector-store.js';
import { DEFAULT_HNSW } from '../services/adapters/vector-store/item-index.js';
import type { Catalogue } from '../services/workload/catalogue.js';
import type { UserState } from '../services/domain/types.js';
import { sleep } from './env.js';
import { latencySummary, round, type Row } from './report.js';

const COLLECTION = 'items';
const LIMIT = 10;

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Brute-force top ids; catalogue vectors are unit length, so the dot product ranks by cosine. */
function exactTop(vectors: ReadonlyMap<string, Float32Array>, q: Float32Array, exclude: ReadonlySet<string>): string[] {
  const scored: Array<[string, number]> = [];
  for (const [id, v] of vectors) if (!exclude.has(id)) scored.push([id, dot(v, q)]);
  return scored
    .sort((a, b) => b[1] - a[1])
    .slice(0, LIMIT)
    .map(([id]) => id);
}

/**
 * Staleness: another store instance (as the items consumer would be) upserts one item equal to the
 * probe; milliseconds until this instance's search returns it first.
 */
async function staleness(dir: string, store: EmbeddedVectorStore, probe: Float32Array): Promise<number> {
  const writer = new EmbeddedVectorStore({ directory: dir, logger: silentLogger(), ann: false });
  await writer.start();
  await writer.upsert(COLLECTION, [{ id: 'fresh-item', vector: probe, payload: {} }]);
  await writer.close();
  const written = performance.now();
  while ((await store.search(COLLECTION, { vector: probe, limit: 1 }))[0]?.id !== 'fresh-item') {
    if (performance.now() - written > 600_000) throw new Error('write of another instance not seen within 10 minutes');
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - written;
}

/** The build's saved index (written after the build, in the background), for a second store to load. */
async function savedIndexOf(dir: string): Promise<void> {
  const started = performance.now();
  while (!existsSync(path.join(dir, '_ann', `${COLLECTION}.json`))) {
    if (performance.now() - started > 120_000) throw new Error('the built ANN index was not saved within 2 minutes');
    await sleep(100);
  }
}

async function waitForIndex(store: EmbeddedVectorStore, rows: number, probe: Float32Array): Promise<number> {
  const started = performance.now();
  await store.search(COLLECTION, { vector: probe, limit: 1 });
  while (store.annIndexStatus(COLLECTION)?.rows !== rows) {
    if (performance.now() - started > 600_000) throw new Error('ANN index not built within 10 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  return (performance.now() - started) / 1000;
}

/** Search-time ef values measured beside the default, on the same saved graph. */
const WIDER_EF = [256];

interface Searched {
  readonly times: number[];
  readonly recall: number;
}

/** Every user's search, timed first and checked after (a brute force between searches would evict the index from the caches). */
async function searchAll(store: EmbeddedVectorStore, users: ReadonlyArray<UserState & { vector: Float32Array }>, exact: ReadonlyArray<ReadonlySet<string>>): Promise<Searched> {
  for (const user of users.slice(0, 10)) await store.search(COLLECTION, { vector: user.vector, limit: LIMIT, excludeIds: user.seen });
  const times: number[] = [];
  const answers: string[][] = [];
  for (const user of users) {
    const t = performance.now();
    const hits = await store.search(COLLECTION, { vector: user.vector, limit: LIMIT, excludeIds: user.seen });
    times.push(performance.now() - t);
    answers.push(hits.map((h) => h.id));
  }
  const found = answers.reduce((n, a, i) => n + a.filter((id) => exact[i]!.has(id)).length, 0);
  return { times, recall: found / (users.length * LIMIT) };
}

function searchRows(variant: string, r: Searched, seen: number): Row[] {
  const s = latencySummary(r.times);
  return [
    { measurement: 'ANN index', variant: `${variant}, one search, p50 / p99`, value: round(s.p50, 3), unit: 'ms', notes: `p99 ${round(s.p99, 3)} ms, ${s.n} searches in-process, ~${seen} seen ids excluded each`, details: s },
    { measurement: 'ANN index', variant: `${variant}, recall@10`, value: round(r.recall, 3), unit: '', target: '>= 0.95', met: r.recall >= 0.95, notes: 'against brute force with the same exclusions' },
  ];
}

/** Build, latency and recall rows for one catalogue; `users` supply the queries and exclusions. */
export async function annIndex(catalogue: Catalogue, states: readonly UserState[]): Promise<Row[]> {
  const users = states.filter((u): u is UserState & { vector: Float32Array } => u.vector !== null);
  const dir = mkdtempSync(path.join(tmpdir(), 'is-bench-ann-'));
  const store = new EmbeddedVectorStore({ directory: dir, logger: silentLogger() });
  try {
    await store.start();
    await store.ensureCollection(COLLECTION, catalogue.dimension);
    const vectors = new Map<string, Float32Array>();
    let batch = [];
    for (const item of catalogue.items()) {
      vectors.set(item.id, item.vector);
      batch.push(item);
      if (batch.length === 10_000) {
        await store.upsert(COLLECTION, batch);
        batch = [];
      }
    }
    if (batch.length > 0) await store.upsert(COLLECTION, batch);
    const rssBefore = process.memoryUsage().rss;
    const buildSeconds = await waitForIndex(store, catalogue.size, users[0]!.vector);
    const rssMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;

    const exact = users.map((user) => new Set(exactTop(vectors, user.vector, new Set(user.seen))));
    const base = await searchAll(store, users, exact);
    const seen = Math.round(users.reduce((n, u) => n + u.seen.length, 0) / users.length);
    const widerRows: Row[] = [];
    await savedIndexOf(dir);
    // The same saved graph searched with a wider candidate list (HNSW_EF_SEARCH): what recall costs in time.
    for (const ef of WIDER_EF) {
      const wider = new EmbeddedVectorStore({ directory: dir, logger: silentLogger(), ann: { hnsw: { ...DEFAULT_HNSW, expansionSearch: ef } } });
      try {
        await wider.start();
        await waitForIndex(wider, catalogue.size, users[0]!.vector);
        widerRows.push(...searchRows(`${catalogue.size.toLocaleString('en-US')} items, d=${catalogue.dimension}, HNSW (M=${DEFAULT_HNSW.connectivity}, HNSW_EF_SEARCH=${ef}, saved graph loaded)`, await searchAll(wider, users, exact), seen));
      } finally {
        await wider.close();
      }
    }
    const staleMs = await staleness(dir, store, users[1]!.vector);
    const variant = `${catalogue.size.toLocaleString('en-US')} items, d=${catalogue.dimension}, HNSW (usearch, M=${DEFAULT_HNSW.connectivity}, ef=${DEFAULT_HNSW.expansionSearch})`;
    const rows: Row[] = [
      { measurement: 'ANN index', variant: `${variant}, build`, value: round(buildSeconds, 1), unit: 's', notes: `worker thread, 2 threads; RSS +${Math.round(rssMiB)} MiB after the build (index + rows kept for diffs)` },
      ...searchRows(variant, base, seen),
      { measurement: 'ANN index', variant: `${variant}, another process's upsert visible after`, value: Math.round(staleMs), unit: 'ms', notes: 'version check (every 1 s at most) + read of the table + diff + patch' },
    ];
    rows.push(...widerRows);
    return rows;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
