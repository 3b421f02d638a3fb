/**
 * Keeps one in-memory HNSW index (item-index.ts) per large collection in the searching process and
 * follows the LanceDB table: other processes (items import, the items consumer) write the table,
 * this one notices a newer table version at most `checkEveryMs` after a search and catches up in
 * the background, while searches keep answering from the index it has.
 *
 * The first index of a collection comes from the saved one when it fits (index-snapshots.ts,
 * index-resume.ts), else from a build, which is then saved for the next process to start from.
 */
import type { Table } from '@lancedb/lancedb';
import type { Logger } from '../../core/logger.js';
import type { Filter, SearchHit } from '../../domain/ports/index.js';
import { diff, planResume, readRows, type VersionedRow } from './index-resume.js';
import type { IndexSnapshots, SnapshotRead } from './index-snapshots.js';
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
  /**
   * Least time between two saves of a patched index of one collection, by any process sharing the
   * store directory (a build is always saved). Default 600,000 ms (10 minutes).
   */
  readonly saveEveryMs?: number;
  /** Told once per collection how its first index came to be (for metrics). */
  readonly onStart?: (start: IndexStart) => void;
}

/** How the first index of a collection in this process came to be. */
export interface IndexStart {
  readonly collection: string;
  /** `loaded`: the saved index as it was; `patched`: plus the rows changed since; `built`: a full build. */
  readonly outcome: 'loaded' | 'patched' | 'built';
  /** Why no saved index was used (`built` only). */
  readonly reason?: string;
  /** From the first search to the index answering. */
  readonly ms: number;
  /** Rows inserted, replaced or removed on top of the saved index. */
  readonly patched: number;
}

/** The table an index follows, as the store opened it. */
export interface AnnTable {
  readonly name: string;
  readonly table: Table;
  readonly dimension: number;
  /** Set when the table has `_row_last_updated_at_version` (stable row ids): only then can a saved index be patched. */
  readonly tableId: string | undefined;
}

interface LocalWrite {
  readonly upserts: readonly IndexedRow[];
  readonly removals: readonly string[];
}

interface State extends AnnTable {
  index: ItemIndex | undefined;
  refreshing: boolean;
  lastCheck: number;
  /** Writes of this process made while a refresh runs, replayed on its result. */
  pending: LocalWrite[];
  start: IndexStart | undefined;
  /** Rows changed in the index since it was last saved or loaded. */
  changedSinceSave: number;
}

type Resumed = { readonly ok: true; readonly index: ItemIndex; readonly patched: number } | { readonly ok: false; readonly reason: string };

/** A diff larger than this (rows changed) rebuilds the index instead of patching it. */
function patchLimit(size: number): number {
  return Math.max(1_000, Math.floor(size * 0.05));
}

export class AnnIndexes {
  private readonly states = new Map<string, State>();
  /** Background refreshes (builds, patches, saves) in flight: close() waits for them. */
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly threshold: number;
  private readonly hnsw: HnswParams;
  private readonly checkEveryMs: number;
  private readonly maxCandidateShare: number;
  private readonly saveEveryMs: number;

  /** Without `snapshots` every first index is built and nothing is saved. */
  constructor(
    private readonly options: AnnOptions,
    private readonly log: Logger,
    private readonly snapshots: IndexSnapshots | undefined,
  ) {
    this.threshold = options.threshold ?? 5_000;
    this.hnsw = options.hnsw ?? DEFAULT_HNSW;
    this.checkEveryMs = options.checkEveryMs ?? 1_000;
    this.maxCandidateShare = options.maxCandidateShare ?? 0.1;
    this.saveEveryMs = options.saveEveryMs ?? 600_000;
  }

  /**
   * The approximate answer, or undefined when the caller must search exactly (no index yet, a small
   * collection, or a filter too selective for over-fetching). Never waits: a due version check and
   * any catch-up run in the background.
   */
  search(table: AnnTable, q: { vector: Float32Array; limit: number; excludeIds: readonly string[]; filter?: Filter | undefined }): SearchHit[] | undefined {
    const state = this.state(table);
    this.maybeRefresh(state);
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
    const write = { upserts: upserts.map((r) => ({ id: r.id, payload: r.payload, vector: r.vector.slice() })), removals };
    if (state.refreshing) state.pending.push(write);
    const index = state.index;
    // A bulk write would block the event loop while patching; the next version check rebuilds instead.
    if (index !== undefined && upserts.length + removals.length <= patchLimit(index.size)) {
      index.apply(write.upserts, removals);
      state.changedSinceSave += upserts.length + removals.length;
    }
  }

  /** The index serving `name`: its rows, the table version it is up to date with and how it started; undefined while searches are exact. */
  status(name: string): { rows: number; version: number; unreachable: number; start: IndexStart | undefined } | undefined {
    const state = this.states.get(name);
    const index = state?.index;
    return index === undefined || index.size < this.threshold ? undefined : { rows: index.size, version: index.version, unreachable: index.unreachableCount, start: state?.start };
  }

  /** Forgets a dropped collection's index. */
  forget(name: string): void {
    this.states.delete(name);
  }

  private state(table: AnnTable): State {
    let state = this.states.get(table.name);
    if (state === undefined || state.table !== table.table) {
      state = { ...table, index: undefined, refreshing: false, lastCheck: 0, pending: [], start: undefined, changedSinceSave: 0 };
      this.states.set(table.name, state);
    }
    return state;
  }

  /**
   * Starts no more refreshes and waits for those in flight, so the store can close its tables under
   * no reader and no save is left writing into the directory.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private maybeRefresh(state: State): void {
    const now = Date.now();
    if (this.closed || state.refreshing || now - state.lastCheck < this.checkEveryMs) return;
    state.lastCheck = now;
    state.refreshing = true;
    const running = this.refresh(state)
      .catch((e: unknown) => this.log.warn({ collection: state.name, err: e }, 'ANN index refresh failed; searches stay exact or on the previous index'))
      .finally(() => {
        state.refreshing = false;
        state.pending = [];
        this.inFlight.delete(running);
      });
    this.inFlight.add(running);
  }

  private async refresh(state: State): Promise<void> {
    const version = await state.table.version();
    if (state.index === undefined) return this.first(state, version);
    if (state.index.version === version) return;
    const started = performance.now();
    const rows = await readRows(state.table, false);
    const current = state.index;
    const changes = diff(current, rows);
    const changed = changes.upserts.length + changes.removals.length;
    if (changed <= patchLimit(current.size)) {
      // In slices: up to 5 % of the rows (50,000 at 1M) in one call would stall every search. Searches
      // between slices see some rows new and some old, each row whole; writes of this process made
      // meanwhile are in `pending`, replayed over the patch by `install`.
      await current.applyInSlices(changes.upserts, changes.removals);
      this.install(state, current, version, state.changedSinceSave + changed);
    } else {
      const built = await this.build(state, rows, version);
      this.install(state, built.index, version, 0);
      await built.publish();
    }
    const ms = Math.round(performance.now() - started);
    this.log.info({ collection: state.name, version, rows: rows.length, ms, rebuilt: state.index !== current, changed }, 'ANN index refreshed');
    await this.maybeSave(state);
  }

  /** The first index: the saved one patched, when it fits, else a build (then saved). */
  private async first(state: State, version: number): Promise<void> {
    if ((await state.table.countRows()) < this.threshold) return;
    const started = performance.now();
    // The saved file's checksum (in a worker) runs while the table is read.
    const saved = this.savedIndex(state);
    const rows = await readRows(state.table, state.tableId !== undefined);
    const resumed = await this.resume(state, version, rows, await saved);
    let start: Omit<IndexStart, 'ms'>;
    let publish = async (): Promise<void> => {};
    if (resumed.ok) {
      this.install(state, resumed.index, version, resumed.patched);
      start = { collection: state.name, outcome: resumed.patched === 0 ? 'loaded' : 'patched', patched: resumed.patched };
    } else {
      const built = await this.build(state, rows, version);
      this.install(state, built.index, version, 0);
      publish = built.publish;
      start = { collection: state.name, outcome: 'built', reason: resumed.reason, patched: 0 };
    }
    state.start = { ...start, ms: Math.round(performance.now() - started) };
    const quiet = start.outcome !== 'built' || resumed.ok || /^no saved index|saving indexes is off/.test(start.reason ?? '');
    this.log[quiet ? 'info' : 'warn']({ ...state.start, version, rows: rows.length, unreachable: state.index?.unreachableCount }, `ANN index ${start.outcome}${start.reason === undefined ? '' : `: ${start.reason}`}`);
    this.options.onStart?.(state.start);
    await publish();
  }

  private async savedIndex(state: State): Promise<SnapshotRead> {
    if (this.snapshots === undefined) return { ok: false, reason: 'saving indexes is off' };
    if (state.tableId === undefined) return { ok: false, reason: 'the table has no row versions (made before this store enabled them), so a saved index cannot be patched' };
    return this.snapshots.read(state.name, state.tableId, state.dimension, this.hnsw);
  }

  private async resume(state: State, version: number, rows: readonly VersionedRow[], saved: SnapshotRead): Promise<Resumed> {
    if (!saved.ok) return saved;
    const plan = planResume(saved.content, version, rows, patchLimit(saved.content.keys.length));
    if (!plan.ok) return plan;
    try {
      const index = ItemIndex.load(state.dimension, this.hnsw, saved.path, plan.rows, version, saved.content.unreachable);
      // Not serving yet, so nothing else writes to it between slices (this process's writes wait in `pending`).
      await index.applyInSlices(plan.upserts, plan.removals);
      return { ok: true, index, patched: plan.upserts.length + plan.removals.length };
    } catch (e) {
      return { ok: false, reason: `the saved index does not load (${e instanceof Error ? e.message : String(e)})` };
    }
  }

  /** A full build; `publish` then makes its file the saved index (when saving is on and the table has row versions). */
  private async build(state: State, rows: readonly IndexedRow[], version: number): Promise<{ index: ItemIndex; publish: () => Promise<void> }> {
    const { tableId } = state;
    const snapshots = tableId === undefined ? undefined : this.snapshots;
    const path = await snapshots?.newFile(state.name);
    const index = await ItemIndex.build(state.dimension, rows, version, this.hnsw, path);
    if (snapshots === undefined || path === undefined || tableId === undefined) return { index, publish: async () => {} };
    const content = { tableId, version, dimension: state.dimension, hnsw: this.hnsw, keys: rows.map((r) => r.id), unreachable: index.unreachablePositions() };
    return { index, publish: () => this.publish(state, () => snapshots.publish(state.name, path, content)) };
  }

  /** Makes `next` serve, with the writes this process made meanwhile (newer than what was read). */
  private install(state: State, next: ItemIndex, version: number, changedSinceSave: number): void {
    for (const w of state.pending) next.apply(w.upserts, w.removals);
    next.version = version;
    if (this.states.get(state.name) !== state) return;
    state.index = next;
    state.changedSinceSave = changedSinceSave + state.pending.reduce((n, w) => n + w.upserts.length + w.removals.length, 0);
  }

  /**
   * Saves a patched index once half a patch's worth of rows changed since the saved one, so that a
   * starting process still patches rather than builds; at most once per `saveEveryMs` across the
   * processes sharing the directory. Blocks the event loop for the write (~0.1-0.3 s at 100k x 256).
   */
  private async maybeSave(state: State): Promise<void> {
    const index = state.index;
    const { tableId } = state;
    if (this.snapshots === undefined || tableId === undefined || index === undefined || state.changedSinceSave < patchLimit(index.size) / 2) return;
    const snapshots = this.snapshots;
    const last = await snapshots.savedAt(state.name);
    if (last !== undefined && Date.now() - last < this.saveEveryMs) return;
    const path = await snapshots.newFile(state.name);
    index.save(path);
    const content = { tableId, version: index.version, dimension: state.dimension, hnsw: this.hnsw, keys: index.keys(), unreachable: index.unreachablePositions() };
    state.changedSinceSave = 0;
    await this.publish(state, () => snapshots.publish(state.name, path, content));
  }

  /** A failed save loses nothing but the next start's head start: logged, never thrown. */
  private async publish(state: State, op: () => Promise<void>): Promise<void> {
    try {
      await op();
      this.log.info({ collection: state.name }, 'ANN index saved');
    } catch (e) {
      this.log.warn({ collection: state.name, err: e }, 'ANN index not saved; the next start builds or patches an older one');
    }
  }
}
