/**
 * An in-memory HNSW index (usearch, cosine, f32) over one collection, with the ids, vectors and
 * payloads it was built from, so that a search answers without touching LanceDB and a newer table
 * version can be diffed against it.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Index, MetricKind, ScalarKind, type IndexConfig } from 'usearch';
import type { Filter, SearchHit } from '../../domain/ports/index.js';
import { matchesFilter } from '../../domain/filter.js';
import { buildInWorker } from './index-workers.js';

/** HNSW parameters (HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH in core/config/vector-store.ts; recall measured in docs/benchmarks.md). */
export interface HnswParams {
  /** Graph degree (M). */
  readonly connectivity: number;
  /** Candidate list size while inserting (efConstruction). */
  readonly expansionAdd: number;
  /** Candidate list size while searching (ef); a search for k > ef uses k. */
  readonly expansionSearch: number;
}

export const DEFAULT_HNSW: HnswParams = { connectivity: 16, expansionAdd: 64, expansionSearch: 128 };

/** One row of a collection as the index keeps it: the payload stays JSON text until a search needs it. */
export interface IndexedRow {
  readonly id: string;
  readonly vector: Float32Array;
  readonly payload: string;
}

export interface AnnQuery {
  readonly vector: Float32Array;
  readonly limit: number;
  readonly exclude: ReadonlySet<string>;
  readonly filter: Filter | undefined;
  /** Give up (the caller searches exactly) once the candidate list would exceed this many rows. */
  readonly maxCandidates: number;
}

const OVERFETCH = 2;
const GROWTH = 4;

export function indexConfig(dimensions: number, p: HnswParams): IndexConfig {
  return {
    dimensions,
    metric: MetricKind.Cos,
    quantization: ScalarKind.F32,
    connectivity: p.connectivity,
    expansion_add: p.expansionAdd,
    expansion_search: p.expansionSearch,
    multi: false,
  };
}

export class ItemIndex {
  private readonly byId = new Map<string, number>();

  private constructor(
    private readonly index: Index,
    /** By usearch key; undefined where a row was removed. */
    private readonly rows: Array<IndexedRow | undefined>,
    /** The table version the rows were read at (changes after it are applied with `apply`). */
    public version: number,
  ) {
    rows.forEach((r, key) => r !== undefined && this.byId.set(r.id, key));
  }

  /**
   * Builds an index over `rows` in a worker thread (the event loop stays free; searches meanwhile
   * use whatever the caller had) and loads it here: the load is the only blocking step (~0.1 s at 100k x 256).
   * With `savePath` the built file stays there (keys = positions in `rows`), for the caller to publish.
   */
  static async build(dimension: number, rows: readonly IndexedRow[], version: number, params: HnswParams = DEFAULT_HNSW, savePath?: string): Promise<ItemIndex> {
    const config = indexConfig(dimension, params);
    const flat = new Float32Array(rows.length * dimension);
    rows.forEach((r, i) => flat.set(r.vector, i * dimension));
    const path = savePath ?? join(tmpdir(), `item-index-${randomUUID()}.usearch`);
    try {
      await buildInWorker(config, flat, rows.length, path);
      return ItemIndex.load(dimension, params, path, [...rows], version);
    } finally {
      if (savePath === undefined) await rm(path, { force: true });
    }
  }

  /**
   * An index saved at `path` (by `build` or `save`) whose key k holds `rows[k]`. Blocking (~0.1 s at
   * 100k x 256). The file must be intact (checked by the caller): usearch trusts it.
   */
  static load(dimension: number, params: HnswParams, path: string, rows: Array<IndexedRow | undefined>, version: number): ItemIndex {
    const index = new Index(indexConfig(dimension, params));
    index.load(path);
    const live = rows.reduce((n, r) => (r === undefined ? n : n + 1), 0);
    if (index.dimensions() !== dimension || index.size() !== live) {
      throw new Error(`index file ${path} holds ${index.size()} vectors of dimension ${index.dimensions()}, expected ${live} of ${dimension}`);
    }
    return new ItemIndex(index, rows, version);
  }

  /** Writes the index to `path` (blocking: ~0.1-0.3 s at 100k x 256); `keys()` maps its keys to ids. */
  save(path: string): void {
    this.index.save(path);
  }

  /** The id at each usearch key (null where removed): with `version`, what a saved file needs to be reloaded. */
  keys(): Array<string | null> {
    return this.rows.map((r) => r?.id ?? null);
  }

  get size(): number {
    return this.byId.size;
  }

  /** The row of an id, as the index holds it (for diffing against a newer table version). */
  row(id: string): IndexedRow | undefined {
    const key = this.byId.get(id);
    return key === undefined ? undefined : this.rows[key];
  }

  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  /** Inserts or replaces rows and removes ids: writes of this process and diffs of other processes' writes. */
  apply(upserts: readonly IndexedRow[], removals: readonly string[]): void {
    for (const id of removals) {
      const key = this.byId.get(id);
      if (key === undefined) continue;
      this.index.remove(BigInt(key));
      this.byId.delete(id);
      this.rows[key] = undefined;
    }
    for (const r of upserts) {
      let key = this.byId.get(r.id);
      if (key === undefined) {
        key = this.rows.length;
        this.rows.push(r);
        this.byId.set(r.id, key);
      } else {
        this.index.remove(BigInt(key));
        this.rows[key] = r;
      }
      this.index.add(BigInt(key), r.vector);
    }
  }

  /**
   * Nearest rows that are neither excluded nor filtered out, best first; undefined when so many
   * candidates would be needed that an exact search is the better plan. The candidate list starts at
   * limit + excluded (x 2 with a filter) and grows 4x until enough rows pass.
   */
  search(q: AnnQuery): SearchHit[] | undefined {
    const size = this.byId.size;
    // Exclusions alone need exactly `excluded` extra candidates; a filter's pass rate is unknown.
    const first = (q.limit + q.exclude.size) * (q.filter === undefined ? 1 : OVERFETCH);
    for (let k = first; ; k *= GROWTH) {
      const wanted = Math.min(k, size);
      if (wanted > q.maxCandidates && wanted > q.limit + q.exclude.size) return undefined;
      const found = this.index.search(q.vector, wanted, 1);
      const hits = this.collect(found.keys, found.distances, q);
      if (hits.length >= q.limit || wanted >= size || found.keys.length < wanted) return hits.slice(0, q.limit);
    }
  }

  private collect(keys: BigUint64Array, distances: Float32Array, q: AnnQuery): SearchHit[] {
    const hits: SearchHit[] = [];
    for (let i = 0; i < keys.length && hits.length < q.limit; i++) {
      const key = Number(keys[i]);
      const row = this.rows[key];
      if (row === undefined || q.exclude.has(row.id)) continue;
      // Parsed per hit, not cached: callers get their own object, and memory stays one string per row.
      const payload = JSON.parse(row.payload) as Record<string, unknown>;
      if (q.filter !== undefined && !matchesFilter(payload, q.filter)) continue;
      // usearch's cosine distance is 1 - similarity, like LanceDB's.
      hits.push({ id: row.id, score: 1 - distances[i]!, payload });
    }
    return hits;
  }
}
