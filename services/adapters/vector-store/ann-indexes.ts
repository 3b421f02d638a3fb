/**
 * Keeps one in-memory HNSW index (item-index.ts) per large collection in the searching process and
 * follows the LanceDB table: other processes (items import, the items consumer) write the table,
 * this one notices a newer table version at most `checkEveryMs` after a search and catches up in
 * the background, while searches keep answering from the index it has.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Table } from '@lancedb/lancedb';
import type { Logger } from '../../core/logger.js';
import type { Filter, SearchHit } from '../../domain/ports/index.js';
import { DEFAULT_HNSW, ItemIndex, type HnswParams, type IndexedRow } from './item-index.js';

export interface AnnOptions {
  /**
   * Collections with fewer rows are searched exactly (LanceDB, brute force). Default 5,000: an exact
   * search of 10k x 256 already takes ~40 ms here, and the 300-point contract suite stays exact.
   */
  readonly threshold?: number;
  readonly hnsw?: HnswParams;
  /** How often a search may trigger a version check of the table. Default 1,000 ms. */
  readonly checkEveryMs?: number;
  /** Beyond this share of the collection as candidates (selective filters), search exactly. Default 0.1. */
  readonly maxCandidateShare?: number;
}

interface LocalWrite {
  readonly upserts: readonly IndexedRow[];
  readonly removals: readonly string[];
}

interface State {
  readonly table: Table;
  readonly dimension: number;
  index: ItemIndex | undefined;
  refreshing: boolean;
  lastCheck: number;
  /** Writes of this process made while a refresh runs, replayed on its result. */
  pending: LocalWrite[];
}

/** A diff larger than this (rows changed) rebuilds the index instead of patching it. */
function patchLimit(size: number): number {
  return Math.max(1_000, Math.floor(size * 0.05));
}

function sameVector(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Every row of the table, a record batch at a time with a yield between batches. */
async function readRows(table: Table): Promise<IndexedRow[]> {
  const rows: IndexedRow[] = [];
  for await (const batch of table.query().select(['id', 'vector', 'payload'])) {
    const ids = batch.getChild('id');
    const vectors = batch.getChild('vector');
    const payloads = batch.getChild('payload');
    for (let i = 0; i < batch.numRows; i++) {
      // slice(): Arrow rows are views into the batch buffer.
      const vector = (vectors?.get(i) as { toArray(): Float32Array } | null)?.toArray().slice() ?? new Float32Array();
      rows.push({ id: String(ids?.get(i)), vector, payload: String(payloads?.get(i)) });
    }
    await yieldToLoop();
  }
  return rows;
}

/** The changes that turn `index` into `rows`. */
function diff(index: ItemIndex, rows: readonly IndexedRow[]): LocalWrite {
  const upserts: IndexedRow[] = [];
  const present = new Set<string>();
  for (const r of rows) {
    present.add(r.id);
    const old = index.row(r.id);
    if (old === undefined || old.payload !== r.payload || !sameVector(old.vector, r.vector)) upserts.push(r);
  }
  const removals = [...index.ids()].filter((id) => !present.has(id));
  return { upserts, removals };
}

export class AnnIndexes {
  private readonly states = new Map<string, State>();
  private readonly threshold: number;
  private readonly hnsw: HnswParams;
  private readonly checkEveryMs: number;
  private readonly maxCandidateShare: number;

  constructor(
    options: AnnOptions,
    private readonly log: Logger,
  ) {
    this.threshold = options.threshold ?? 5_000;
    this.hnsw = options.hnsw ?? DEFAULT_HNSW;
    this.checkEveryMs = options.checkEveryMs ?? 1_000;
    this.maxCandidateShare = options.maxCandidateShare ?? 0.1;
  }

  /**
   * The approximate answer, or undefined when the caller must search exactly (no index yet, a small
   * collection, or a filter too selective for over-fetching). Never waits: a due version check and
   * any catch-up run in the background.
   */
  search(name: string, table: Table, dimension: number, q: { vector: Float32Array; limit: number; excludeIds: readonly string[]; filter?: Filter | undefined }): SearchHit[] | undefined {
    const state = this.state(name, table, dimension);
    this.maybeRefresh(name, state);
    const index = state.index;
    if (index === undefined || index.size < this.threshold) return undefined;
    const maxCandidates = Math.max(1, Math.floor(index.size * this.maxCandidateShare));
    return index.search({ vector: q.vector, limit: q.limit, exclude: new Set(q.excludeIds), filter: q.filter, maxCandidates });
  }

  /** Applies a write this process made to the table, so its own searches see it at once. */
  written(name: string, upserts: readonly IndexedRow[], removals: readonly string[]): void {
    const state = this.states.get(name);
    if (state === undefined) return;
    // Own copies: the caller's arrays may be reused after the write.
    const write = { upserts: upserts.map((r) => ({ ...r, vector: r.vector.slice() })), removals };
    if (state.refreshing) state.pending.push(write);
    const index = state.index;
    // A bulk write would block the event loop while patching; the next version check rebuilds instead.
    if (index !== undefined && upserts.length + removals.length <= patchLimit(index.size)) index.apply(write.upserts, removals);
  }

  /** The index serving `name`: its rows and the table version it is up to date with; undefined while searches are exact. */
  status(name: string): { rows: number; version: number } | undefined {
    const index = this.states.get(name)?.index;
    return index === undefined || index.size < this.threshold ? undefined : { rows: index.size, version: index.version };
  }

  /** Forgets a dropped collection's index. */
  forget(name: string): void {
    this.states.delete(name);
  }

  private state(name: string, table: Table, dimension: number): State {
    let state = this.states.get(name);
    if (state === undefined || state.table !== table) {
      state = { table, dimension, index: undefined, refreshing: false, lastCheck: 0, pending: [] };
      this.states.set(name, state);
    }
    return state;
  }

  private maybeRefresh(name: string, state: State): void {
    const now = Date.now();
    if (state.refreshing || now - state.lastCheck < this.checkEveryMs) return;
    state.lastCheck = now;
    state.refreshing = true;
    this.refresh(name, state)
      .catch((e: unknown) => this.log.warn({ collection: name, err: e }, 'ANN index refresh failed; searches stay exact or on the previous index'))
      .finally(() => {
        state.refreshing = false;
        state.pending = [];
      });
  }

  private async refresh(name: string, state: State): Promise<void> {
    const version = await state.table.version();
    if (state.index?.version === version) return;
    if (state.index === undefined && (await state.table.countRows()) < this.threshold) return;
    const started = performance.now();
    const rows = await readRows(state.table);
    const current = state.index;
    const changes = current === undefined ? undefined : diff(current, rows);
    let next: ItemIndex;
    if (current !== undefined && changes !== undefined && changes.upserts.length + changes.removals.length <= patchLimit(current.size)) {
      current.apply(changes.upserts, changes.removals);
      next = current;
    } else {
      next = await ItemIndex.build(state.dimension, rows, version, this.hnsw);
    }
    // Writes of this process during the read or the build are newer than what was read.
    for (const w of state.pending) next.apply(w.upserts, w.removals);
    next.version = version;
    if (this.states.get(name) === state) state.index = next;
    const ms = Math.round(performance.now() - started);
    this.log.info({ collection: name, version, rows: rows.length, ms, rebuilt: next !== current, changed: changes && changes.upserts.length + changes.removals.length }, 'ANN index refreshed');
  }
}
