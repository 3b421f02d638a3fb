import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type Connection, type Table } from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Float64, Schema, Utf8 } from 'apache-arrow';
import { InterestStreamError, isInterestStreamError } from '../../domain/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ConditionalUpsert, Filter, SearchHit, SearchRequest, VectorPoint, VectorStore, VersionKeys } from '../../domain/ports/index.js';
import { AnnIndexes, type AnnOptions } from './ann-indexes.js';
import {
  checkPointDimensions,
  checkQueryDimension,
  matchesFilter,
  preparePoints,
  validateCollectionName,
  validateDimension,
  validateIds,
  validateSearchRequest,
} from '../../domain/filter.js';
import { pointVersion } from './point-versions.js';

export interface EmbeddedVectorStoreOptions {
  /** Directory holding one LanceDB table per collection (created when missing). */
  readonly directory: string;
  readonly logger: Logger;
  /** Compact a table after this many writes (upserts and deletes) from this process. Default 50. */
  readonly compactEvery?: number;
  /**
   * Collections of at least `ann.threshold` rows (default 5,000) are searched through an in-memory
   * HNSW index kept by the searching process; smaller ones exactly. `false` always searches exactly.
   */
  readonly ann?: AnnOptions | false;
}

type Row = { id: string; payload: string; vector?: { toArray(): Float32Array }; _distance?: number };
/** `versioned`: the table has the version columns (tables made before them get them on the first conditional upsert). */
type Opened = { readonly name: string; readonly table: Table; readonly dimension: number; readonly versioned: boolean };

const ID_CHUNK = 1000;
// Compaction keeps versions this recent so that a reader in another process never loses the files
// of the version it is scanning.
const KEEP_VERSIONS_MS = 5 * 60_000;

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function idIn(ids: readonly string[]): string {
  return `id IN (${ids.map(sqlString).join(', ')})`;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function tableSchema(dimension: number): Schema {
  return new Schema([
    new Field('id', new Utf8(), false),
    new Field('vector', new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
    new Field('payload', new Utf8(), false),
    ...VERSION_FIELDS,
  ]);
}

/**
 * A point's version for conditional upserts, in columns because LanceDB's SQL cannot read inside the
 * JSON payload. Null on points written unconditionally (items); a table made before these columns
 * existed gets them (addColumns, all null) on its first conditional upsert, so readers never write.
 */
const VERSION_FIELDS = [new Field('v_stream', new Float64(), true), new Field('v_pos', new Float64(), true)];

/** The merge condition of a conditional upsert: replace unless the stored point is newer. */
const REPLACE_UNLESS_NEWER = 'target.v_stream IS NULL OR target.v_stream <> source.v_stream OR target.v_pos <= source.v_pos';

/** Another process may add them at the same moment: losing that race is fine. */
async function addVersionColumns(table: Table): Promise<void> {
  try {
    await table.addColumns(VERSION_FIELDS.map((f) => ({ name: f.name, valueSql: 'CAST(NULL AS DOUBLE)' })));
  } catch (e) {
    if (!/already exists|conflict/i.test(e instanceof Error ? e.message : String(e))) throw e;
  }
}

function isNotFound(e: unknown): boolean {
  return e instanceof Error && /was not found|not found:/i.test(e.message);
}

/** Library errors become coded ones: commit conflicts retry, I/O failures mean the store is unavailable. */
function translate(e: unknown, what: string): InterestStreamError {
  if (isInterestStreamError(e)) return e;
  const message = e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e);
  const code = /conflict/i.test(message)
    ? 'CONFLICT'
    : /os error|i\/o|permission denied|no space|connection is closed/i.test(message)
      ? 'STORE_UNAVAILABLE'
      : 'INTERNAL';
  return new InterestStreamError(code, `embedded vector store: ${what}: ${message}`, { cause: e });
}

/**
 * Aliases live in one small JSON file beside the tables, replaced by rename so that a reader in
 * another process sees the old or the new map, never half of one.
 */
class AliasFile {
  private cache: { stamp: string; map: Record<string, string> } | undefined;
  constructor(private readonly path: string) {}

  async read(): Promise<Record<string, string>> {
    const s = await stat(this.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (s === undefined) return {};
    const stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
    if (this.cache?.stamp !== stamp) this.cache = { stamp, map: JSON.parse(await readFile(this.path, 'utf8')) as Record<string, string> };
    return this.cache.map;
  }

  async update(change: (map: Record<string, string>) => void): Promise<void> {
    const map = { ...(await this.read()) };
    change(map);
    const tmp = `${this.path}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(map));
    await rename(tmp, this.path);
  }
}

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
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly writeCounts = new Map<string, number>();
  private readonly aliases: AliasFile;
  private readonly log: Logger;
  private readonly compactEvery: number;
  private readonly ann: AnnIndexes | undefined;

  constructor(private readonly options: EmbeddedVectorStoreOptions) {
    this.aliases = new AliasFile(join(options.directory, '_aliases.json'));
    this.log = options.logger.child({ component: 'embedded-vector-store' });
    this.compactEvery = options.compactEvery ?? 50;
    this.ann = options.ann === false ? undefined : new AnnIndexes(options.ann ?? {}, this.log);
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
      await Promise.allSettled([...this.chains.values()]);
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
    // Serialised per name: concurrent callers in this process see the table the first one made;
    // `existOk` covers another process creating it at the same moment.
    await this.serialised(`ensure:${name}`, async () => {
      let opened = await this.open(name);
      if (opened === undefined) {
        await this.guard(`create ${name}`, () => this.conn().createEmptyTable(name, tableSchema(dimension), { mode: 'create', existOk: true }));
        this.tables.delete(name);
        opened = await this.open(name);
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
    await this.serialised(name, async () => {
      this.tables.delete(name);
      this.writeCounts.delete(name);
      this.ann?.forget(name);
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
    const { name, table, dimension } = await this.require(collection);
    checkQueryDimension(collection, dimension, req.vector);
    const approximate = this.ann?.search(name, table, dimension, req);
    if (approximate !== undefined) return approximate;
    const where = req.excludeIds.length > 0 ? `NOT (${idIn(req.excludeIds)})` : undefined;
    const nearest = (k: number) => this.guard(`search ${name}`, () => this.nearest(table, req.vector, k, where));
    if (req.filter === undefined) return nearest(req.limit);
    return this.filteredSearch(nearest, req.filter, req.limit);
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
   * The in-memory ANN index answering searches of `collection` (rows, table version it reflects),
   * or undefined while they are exact. An index is built in the background after the first search.
   */
  annIndexStatus(collection: string): { rows: number; version: number } | undefined {
    return this.ann?.status(collection);
  }

  /**
   * The post-filter needs candidates beyond `limit`: ask for 4x more each round until enough match
   * or the table has no more rows. The exclusion stays a prefilter, so excluded ids never use up k.
   */
  private async filteredSearch(nearest: (k: number) => Promise<SearchHit[]>, filter: Filter, limit: number): Promise<SearchHit[]> {
    for (let k = Math.max(limit * 4, 64); ; k *= 4) {
      const candidates = await nearest(k);
      const hits = candidates.filter((h) => matchesFilter(h.payload, filter));
      if (hits.length >= limit || candidates.length < k) return hits.slice(0, limit);
    }
  }

  private async nearest(table: Table, vector: Float32Array, k: number, where: string | undefined): Promise<SearchHit[]> {
    let query = table.vectorSearch(vector).distanceType('cosine').bypassVectorIndex().select(['id', 'payload', '_distance']).limit(k);
    if (where !== undefined) query = query.where(where);
    const rows = (await query.toArray()) as Row[];
    // LanceDB's cosine distance is 1 - similarity.
    return rows.map((r) => ({ id: r.id, score: 1 - (r._distance ?? 1), payload: JSON.parse(r.payload) as Record<string, unknown> }));
  }

  /**
   * Writes to one table are serialised in this process, and every `compactEvery` writes the table
   * is compacted: each small upsert adds a fragment, and scans slow down as fragments pile up.
   */
  private async write(name: string, what: string, op: () => Promise<unknown>): Promise<void> {
    await this.serialised(name, async () => {
      await this.guard(what, op);
      const n = (this.writeCounts.get(name) ?? 0) + 1;
      this.writeCounts.set(name, n % this.compactEvery);
      if (n >= this.compactEvery) await this.compact(name);
    });
  }

  private async compact(name: string): Promise<void> {
    const opened = await this.open(name);
    try {
      const stats = await opened?.table.optimize({ cleanupOlderThan: new Date(Date.now() - KEEP_VERSIONS_MS) });
      this.log.debug({ collection: name, ...stats?.compaction }, 'compacted');
    } catch (e) {
      // A failed compaction loses nothing; the next one retries.
      this.log.warn({ collection: name, err: e }, 'compaction failed');
    }
  }

  private serialised<T>(key: string, op: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(op, op);
    const settled = run.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => this.chains.get(key) === settled && this.chains.delete(key));
    return run;
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
    await this.serialised(opened.name, () => this.guard(`add version columns to ${opened.name}`, () => addVersionColumns(opened.table)));
    this.tables.delete(opened.name);
    return this.require(collection);
  }

  /** Table handles are cached; a missing table is not, so one created by another process is found. */
  private open(name: string): Promise<Opened | undefined> {
    let opened = this.tables.get(name);
    if (opened === undefined) {
      opened = this.openUncached(name);
      this.tables.set(name, opened);
      opened.then((o) => o === undefined && this.tables.delete(name), () => this.tables.delete(name));
    }
    return opened;
  }

  private async openUncached(name: string): Promise<Opened | undefined> {
    try {
      const table = await this.conn().openTable(name);
      const fields = (await table.schema()).fields;
      const field = fields.find((f) => f.name === 'vector');
      return { name, table, dimension: (field?.type as FixedSizeList).listSize, versioned: fields.some((f) => f.name === 'v_stream') };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw translate(e, `open ${name}`);
    }
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
