/**
 * An in-memory HNSW index (usearch, cosine, f32) over one collection, with the ids, vectors and
 * payloads it was built from, so that a search answers without touching LanceDB and a newer table
 * version can be diffed against it.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Index, MetricKind, ScalarKind, type IndexConfig } from 'usearch';
import type { Filter, SearchHit } from '../../domain/ports/index.js';
import { matchesFilter } from '../../domain/filter.js';
import { fmix32, unfmix32 } from '../../domain/hash.js';
import { SELF_CHECK_K, UnreachableRows } from './unreachable-rows.js';
import { buildInWorker } from './index-workers.js';

/** HNSW parameters (HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH in core/config/vector-store.ts; recall measured in docs/benchmarks.md). */
export interface HnswParams {
  /** Graph degree (M). */
  readonly connectivity: number;
  /** Candidate list size while inserting (efConstruction). */
  readonly expansionAdd: number;
  /** Candidate list size while searching (ef); a search for k > ef uses k. */
  readonly expansionSearch: number;
  /** Find the rows no search reaches, to score them exactly (HNSW_REACH_CHECK); default true. */
  readonly reachCheck?: boolean;
}

export const DEFAULT_HNSW: HnswParams = { connectivity: 16, expansionAdd: 64, expansionSearch: 128, reachCheck: true };

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
/** Threads inserting a batch of rows (usearch splits the batch between them; the caller's thread is one). */
const INSERT_THREADS = 2;
/** Rows per `apply` in `applyInSlices`: ~0.1 s of blocking each at 100k x 256 on 2 threads. */
const PATCH_SLICE = 256;
/**
 * The usearch key of the row at `position` in an index's rows: the position mixed (fmix32), not the
 * position itself. usearch finds keys in a linear-probing table hashed by the key's own bits, so the
 * keys 0..n-1 would fill one unbroken run of slots, and every remove, and the add that reuses a removed
 * key, would scan to the end of that run: ~0.3 ms per row at 100k rows, 326 of the 1,147 ms a
 * 1,000-row patch took (docs/benchmarks.md). Mixed keys leave short runs. Positions stay below 2^32.
 */
function keyAt(position: number): bigint {
  return BigInt(fmix32(position));
}

function positionOf(key: bigint): number {
  return unfmix32(Number(key));
}

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
  /** The rows no search reaches, scored apart on every search (unreachable-rows.ts). */
  private readonly unreachable: UnreachableRows;

  private constructor(
    private readonly index: Index,
    /** By position (the usearch key is `keyAt(position)`); undefined where a row was removed. */
    private readonly rows: Array<IndexedRow | undefined>,
    /** The table version the rows were read at (changes after it are applied with `apply`). */
    public version: number,
    unreachable: readonly number[],
  ) {
    rows.forEach((r, position) => r !== undefined && this.byId.set(r.id, position));
    this.unreachable = new UnreachableRows(rows, unreachable);
  }

  /**
   * Builds an index over `rows` in a worker thread (the event loop stays free; searches meanwhile
   * use whatever the caller had) and loads it here: the load is the only blocking step (~0.1 s at 100k x 256).
   * With `savePath` the built file stays there (row i under `keyAt(i)`), for the caller to publish.
   */
  static async build(dimension: number, rows: readonly IndexedRow[], version: number, params: HnswParams = DEFAULT_HNSW, savePath?: string): Promise<ItemIndex> {
    const config = indexConfig(dimension, params);
    const flat = new Float32Array(rows.length * dimension);
    rows.forEach((r, i) => flat.set(r.vector, i * dimension));
    const path = savePath ?? join(tmpdir(), `item-index-${randomUUID()}.usearch`);
    try {
      const unreachable = await buildInWorker(config, BigUint64Array.from(rows, (_, i) => keyAt(i)), flat, path, params.reachCheck === false ? 0 : SELF_CHECK_K);
      return ItemIndex.load(dimension, params, path, [...rows], version, unreachable);
    } finally {
      if (savePath === undefined) await rm(path, { force: true });
    }
  }

  /**
   * An index saved at `path` (by `build` or `save`) whose key `keyAt(i)` holds `rows[i]`, and the
   * positions no search reaches (`unreachablePositions` when it was saved). Blocking (~0.1 s at
   * 100k x 256). The file must be intact (checked by the caller): usearch trusts it.
   */
  static load(dimension: number, params: HnswParams, path: string, rows: Array<IndexedRow | undefined>, version: number, unreachable: readonly number[] = []): ItemIndex {
    const index = new Index(indexConfig(dimension, params));
    index.load(path);
    const live = rows.reduce((n, r) => (r === undefined ? n : n + 1), 0);
    if (index.dimensions() !== dimension || index.size() !== live) {
      throw new Error(`index file ${path} holds ${index.size()} vectors of dimension ${index.dimensions()}, expected ${live} of ${dimension}`);
    }
    return new ItemIndex(index, rows, version, unreachable);
  }

  /** Writes the index to `path` (blocking: ~0.1-0.3 s at 100k x 256); `keys()` maps its keys to ids. */
  save(path: string): void {
    this.index.save(path);
  }

  /** The positions of the rows no search reaches, scored exactly by every search (saved with the file). */
  unreachablePositions(): number[] {
    return this.unreachable.positions();
  }

  /** The id at each position (null where removed): with `version`, what a saved file needs to be reloaded. */
  keys(): Array<string | null> {
    return this.rows.map((r) => r?.id ?? null);
  }

  /** How many rows no search reaches (scored exactly by every search). */
  get unreachableCount(): number {
    return this.unreachable.size;
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

  /**
   * Removes ids, then inserts or replaces rows (the last of an id wins): writes of this process and
   * diffs of other processes' writes. One usearch call for the removals and one for the inserts,
   * on INSERT_THREADS threads; it blocks for the whole batch (~0.3 ms per row at 100k x 256 with
   * both cores free: an insert is ~0.6 ms of CPU).
   */
  apply(upserts: readonly IndexedRow[], removals: readonly string[]): void {
    const removed: number[] = [];
    for (const id of removals) {
      const position = this.byId.get(id);
      if (position === undefined) continue;
      removed.push(position);
      this.byId.delete(id);
      this.rows[position] = undefined;
      this.unreachable.delete(position);
    }
    const inserted: number[] = [];
    for (const r of new Map(upserts.map((u) => [u.id, u])).values()) {
      let position = this.byId.get(r.id);
      if (position === undefined) {
        position = this.rows.length;
        this.rows.push(r);
        this.byId.set(r.id, position);
      } else {
        removed.push(position);
        this.rows[position] = r;
        this.unreachable.rewritten(position);
      }
      inserted.push(position);
    }
    if (removed.length > 0) this.index.remove(BigUint64Array.from(removed, keyAt));
    // Inserted rows are not checked for reach (a search per row costs as much again as the insert:
    // ×2.15 CPU for a 1,000-row patch at 20k x 256); the next build checks them.
    if (inserted.length > 0) this.index.add(BigUint64Array.from(inserted, keyAt), inserted.map((p) => this.rows[p]!.vector), INSERT_THREADS);
  }

  /**
   * `apply` a slice of upserts at a time, yielding to the event loop between slices, for a patch
   * too large to block it at once. A write applied between slices may be overwritten by a later
   * slice: whoever writes meanwhile must apply its write again afterwards (AnnIndexes' `pending`).
   */
  async applyInSlices(upserts: readonly IndexedRow[], removals: readonly string[]): Promise<void> {
    this.apply([], removals);
    for (let i = 0; i < upserts.length; i += PATCH_SLICE) {
      await yieldToLoop();
      this.apply(upserts.slice(i, i + PATCH_SLICE), []);
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
      if (hits.length >= q.limit || wanted >= size || found.keys.length < wanted) return this.unreachable.merge(hits, q);
    }
  }

  private collect(keys: BigUint64Array, distances: Float32Array, q: AnnQuery): SearchHit[] {
    const hits: SearchHit[] = [];
    for (let i = 0; i < keys.length && hits.length < q.limit; i++) {
      const row = this.rows[positionOf(keys[i]!)];
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
