import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type Connection } from '@lancedb/lancedb';
import { InterestStreamError } from '../../domain/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ConditionalUpsert, SearchHit, SearchRequest, VectorPoint, VectorStore, VersionKeys } from '../../domain/ports/index.js';
import { AliasFile } from './alias-file.js';
import { AnnIndexes, type AnnOptions, type IndexStart } from './ann-indexes.js';
import { filteredSearch, nearest } from './exact-search.js';
import {
  checkPointDimensions,
  checkQueryDimension,
  preparePoints,
  validateCollectionName,
  validateDimension,
  validateIds,
  validateSearchRequest,
} from '../../domain/filter.js';
import { IndexSnapshots } from './index-snapshots.js';
import { addVersionColumns, chunks, CREATE_OPTIONS, idIn, isNotFound, openTable, REPLACE_UNLESS_NEWER, tableSchema, translate, type Opened, type Row } from './lance-tables.js';
import { pointVersion } from './point-versions.js';
import { TableWrites } from './table-writes.js';

export interface EmbeddedVectorStoreOptions {
  /** Directory holding one LanceDB table per collection (created when missing). */
  readonly directory: string;
  readonly logger: Logger;
  /** Compact a table after this many writes (upserts and deletes) from this process (EMBEDDED_COMPACT_EVERY). Default 10. */
  readonly compactEvery?: number;
  /**
   * Collections of at least `ann.threshold` rows (default 5,000) are searched through an in-memory
   * HNSW index kept by the searching process; smaller ones exactly. `false` always searches exactly.
   */
  readonly ann?: AnnOptions | false;
  /**
   * Save each built ANN index in `<directory>/_ann/` and start from the saved one, patched with the
   * rows changed since (index-snapshots.ts). Default true; off, every process builds its own.
   */
  readonly saveIndexes?: boolean;
}

const ID_CHUNK = 1000;

/**
 * VectorStore on LanceDB in a local directory: one table per collection with columns id, vector
 * (fixed-size float32 list) and payload (JSON text). Small collections are searched exhaustively
 * (any LanceDB index is bypassed), so results are exact; large ones through an in-memory HNSW index
 * (ann-indexes.ts) that follows the table's versions. Filters run in JS because LanceDB's SQL JSON
 * functions only read its binary JSON column type, not JSON text.
 */
export class EmbeddedVectorStore implements VectorStore {
  private db: Connection | undefined;
  private closing: Promise<void> | undefined;
  private readonly tables = new Map<string, Promise<Opened | undefined>>();
  private readonly writes: TableWrites;
  private readonly aliases: AliasFile;
  private readonly log: Logger;
  private readonly ann: AnnIndexes | undefined;
  private readonly snapshots: IndexSnapshots | undefined;

  constructor(private readonly options: EmbeddedVectorStoreOptions) {
    this.aliases = new AliasFile(join(options.directory, '_aliases.json'));
    this.log = options.logger.child({ component: 'embedded-vector-store' });
    this.writes = new TableWrites(options.compactEvery ?? 10, this.log);
    this.snapshots = options.saveIndexes === false ? undefined : new IndexSnapshots(options.directory);
    this.ann = options.ann === false ? undefined : new AnnIndexes(options.ann ?? {}, this.log, this.snapshots);
  }

  async start(): Promise<void> {
    if (this.db) return;
    try {
      await mkdir(this.options.directory, { recursive: true });
      // Interval 0: every read checks for versions written by other processes (ingest writes, query reads).
      this.db = await connect(this.options.directory, { readConsistencyInterval: 0 });
    } catch (e) {
      throw new InterestStreamError('STORE_UNAVAILABLE', `embedded vector store: cannot open ${this.options.directory}`, { cause: e });
    }
    this.log.info({ directory: this.options.directory }, 'embedded vector store opened');
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writes.idle();
      await this.ann?.close();
      for (const opened of await Promise.allSettled([...this.tables.values()])) {
        if (opened.status === 'fulfilled') opened.value?.table.close();
      }
      this.tables.clear();
      this.db?.close();
    })();
    return this.closing;
  }

  async ensureCollection(name: string, dimension: number): Promise<void> {
    validateCollectionName(name);
    validateDimension(dimension);
    // Serialised per name: concurrent callers in this process see the table the first one made.
    await this.writes.serialised(`ensure:${name}`, async () => {
      let opened = await this.open(name);
      if (opened === undefined) {
        const created = await this.conn()
          .createEmptyTable(name, tableSchema(dimension), CREATE_OPTIONS)
          .then(() => undefined, (e: unknown) => e);
        this.tables.delete(name);
        opened = await this.open(name);
        // Another process made it first: `existOk` then compares schemas, and each process's schema
        // carries its own table id, so LanceDB refuses ours. Theirs is the table (its dimension is checked below).
        if (opened === undefined && created !== undefined) throw translate(created, `create ${name}`);
      }
      if (opened !== undefined && opened.dimension !== dimension) {
        throw new InterestStreamError('DIMENSION_MISMATCH', `collection "${name}" exists with dimension ${opened.dimension}, not ${dimension}`, {
          details: { collection: name, expected: opened.dimension, actual: dimension },
        });
      }
    });
  }

  async collectionDimension(name: string): Promise<number | undefined> {
    validateCollectionName(name);
    return (await this.open(await this.resolve(name)))?.dimension;
  }

  async dropCollection(name: string): Promise<void> {
    validateCollectionName(name);
    await this.writes.serialised(name, async () => {
      this.tables.delete(name);
      this.writes.forget(name);
      // Also by processes that keep no index (items import): a recreated table must not meet the old file.
      this.ann?.forget(name);
      await this.snapshots?.remove(name);
      await this.guard(`drop ${name}`, () => this.conn().dropTable(name)).catch((e: InterestStreamError) => {
        if (!isNotFound(e.cause)) throw e;
      });
    });
    const aliases = await this.aliases.read();
    if (Object.values(aliases).includes(name)) {
      await this.aliases.update((map) => {
        for (const [alias, target] of Object.entries(map)) if (target === name) delete map[alias];
      });
    }
  }

  async upsert(collection: string, points: readonly VectorPoint[]): Promise<void> {
    const clean = preparePoints(points);
    const { name, table, dimension, versioned } = await this.require(collection);
    checkPointDimensions(collection, dimension, clean);
    if (clean.length === 0) return;
    // A plain write clears the version: the point is then replaced by any conditional write.
    const version = versioned ? { v_stream: null, v_pos: null } : {};
    const rows = clean.map((p) => ({ id: p.id, vector: p.vector, payload: JSON.stringify(p.payload), ...version }));
    await this.write(name, `upsert into ${name}`, () => table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows));
    this.ann?.written(name, rows, []);
  }

  /** One conditional merge: LanceDB evaluates the condition against the version it commits on. */
  async upsertIfNewer(collection: string, points: readonly VectorPoint[], version: VersionKeys): Promise<ConditionalUpsert> {
    const clean = preparePoints(points);
    const versions = clean.map((p) => pointVersion(p, version));
    const { name, table, dimension } = await this.requireVersioned(collection);
    checkPointDimensions(collection, dimension, clean);
    if (clean.length === 0) return { stale: 0 };
    const rows = clean.map((p, i) => ({ id: p.id, vector: p.vector, payload: JSON.stringify(p.payload), v_stream: versions[i]!.stream, v_pos: versions[i]!.position }));
    let result: { numInsertedRows: number; numUpdatedRows: number } | undefined;
    await this.write(name, `conditional upsert into ${name}`, async () => {
      result = await table.mergeInsert('id').whenMatchedUpdateAll({ where: REPLACE_UNLESS_NEWER }).whenNotMatchedInsertAll().execute(rows);
    });
    const stale = rows.length - (result?.numInsertedRows ?? 0) - (result?.numUpdatedRows ?? 0);
    // The ANN index is patched only when every row landed; otherwise its version check re-reads the table.
    if (stale === 0) this.ann?.written(name, rows, []);
    return { stale };
  }

  async get(collection: string, ids: readonly string[]): Promise<Map<string, VectorPoint>> {
    validateIds(ids);
    const { name, table } = await this.require(collection);
    const found = new Map<string, VectorPoint>();
    for (const chunk of chunks([...new Set(ids)], ID_CHUNK)) {
      const rows = (await this.guard(`get from ${name}`, () => table.query().where(idIn(chunk)).select(['id', 'vector', 'payload']).toArray())) as Row[];
      for (const r of rows) {
        // slice(): the Arrow view shares one buffer across rows; callers get their own copy.
        found.set(r.id, { id: r.id, vector: r.vector?.toArray().slice() ?? new Float32Array(), payload: JSON.parse(r.payload) as Record<string, unknown> });
      }
    }
    return found;
  }

  async delete(collection: string, ids: readonly string[]): Promise<void> {
    validateIds(ids);
    const { name, table } = await this.require(collection);
    for (const chunk of chunks([...new Set(ids)], ID_CHUNK)) {
      await this.write(name, `delete from ${name}`, () => table.delete(idIn(chunk)));
      this.ann?.written(name, [], chunk);
    }
  }

  async search(collection: string, request: SearchRequest): Promise<SearchHit[]> {
    const req = validateSearchRequest(request);
    const opened = await this.require(collection);
    checkQueryDimension(collection, opened.dimension, req.vector);
    const approximate = this.ann?.search(opened, req);
    if (approximate !== undefined) return approximate;
    const where = req.excludeIds.length > 0 ? `NOT (${idIn(req.excludeIds)})` : undefined;
    const exact = (k: number) => this.guard(`search ${opened.name}`, () => nearest(opened.table, req.vector, k, where));
    if (req.filter === undefined) return exact(req.limit);
    return filteredSearch(exact, req.filter, req.limit);
  }

  async count(collection: string): Promise<number> {
    const { name, table } = await this.require(collection);
    return this.guard(`count ${name}`, () => table.countRows());
  }

  /** Points `alias` at `collection` (replacing any previous target); other processes see it on their next call. */
  async setAlias(alias: string, collection: string): Promise<void> {
    validateCollectionName(alias);
    validateCollectionName(collection);
    if ((await this.open(collection)) === undefined) throw new InterestStreamError('NOT_FOUND', `collection "${collection}" does not exist`);
    await this.aliases.update((map) => {
      map[alias] = collection;
    });
  }

  /** The collection an alias points at, or undefined when there is no such alias. */
  async resolveAlias(alias: string): Promise<string | undefined> {
    return (await this.aliases.read())[alias];
  }

  /**
   * The in-memory ANN index answering searches of `collection` (rows, table version it reflects, rows
   * no search reaches and so scored exactly by every search, how it started: loaded, patched or
   * built), or undefined while they are exact. An index is loaded or built in the background after
   * the first search.
   */
  annIndexStatus(collection: string): { rows: number; version: number; unreachable: number; start: IndexStart | undefined } | undefined {
    return this.ann?.status(collection);
  }

  private async write(name: string, what: string, op: () => Promise<unknown>): Promise<void> {
    await this.writes.write(name, () => this.guard(what, op), () => this.open(name));
  }

  private async resolve(name: string): Promise<string> {
    return (await this.aliases.read())[name] ?? name;
  }

  private async require(collection: string): Promise<Opened> {
    validateCollectionName(collection);
    const opened = await this.open(await this.resolve(collection));
    if (opened === undefined) throw new InterestStreamError('NOT_FOUND', `collection "${collection}" does not exist`, { details: { collection } });
    return opened;
  }

  private async requireVersioned(collection: string): Promise<Opened> {
    const opened = await this.require(collection);
    if (opened.versioned) return opened;
    await this.writes.serialised(opened.name, () => this.guard(`add version columns to ${opened.name}`, () => addVersionColumns(opened.table)));
    this.tables.delete(opened.name);
    return this.require(collection);
  }

  /** Table handles are cached; a missing table is not, so one created by another process is found. */
  private open(name: string): Promise<Opened | undefined> {
    let opened = this.tables.get(name);
    if (opened === undefined) {
      opened = openTable(this.conn(), name);
      this.tables.set(name, opened);
      opened.then((o) => o === undefined && this.tables.delete(name), () => this.tables.delete(name));
    }
    return opened;
  }

  private conn(): Connection {
    if (this.closing) throw new InterestStreamError('STORE_UNAVAILABLE', 'embedded vector store is closed');
    if (!this.db) throw new InterestStreamError('INTERNAL', 'embedded vector store: call start() first');
    return this.db;
  }

  private async guard<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw translate(e, what);
    }
  }
}
