import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { InterestStreamError, isInterestStreamError } from '../../domain/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ConditionalUpsert, SearchHit, SearchRequest, VectorPoint, VectorStore, VersionKeys } from '../../domain/ports/index.js';
import { RESERVED_PAYLOAD_KEY, checkPointDimensions, checkQueryDimension, preparePoints, validateCollectionName, validateDimension, validateIds, validateSearchRequest } from '../../domain/filter.js';
import { conditionalUpsertOperations, countStale, versionsOf } from './qdrant-conditional-upsert.js';
import { DEFAULT_COLLECTION_OPTIONS, checkedDimension, createCollectionBody, missingPayloadIndexes, type QdrantCollectionOptions } from './qdrant-collections.js';
import { withQdrantRetries, type RetryPolicy } from './qdrant-errors.js';
import { checkServerVersion, clientAddress } from './qdrant-server.js';
import { qdrantPointId, storedVersion, stripReserved, toPointBody, toQdrantFilter } from './qdrant-points.js';
import { chunkPoints, compactVector, type ChunkLimits, type QdrantPointBody } from './qdrant-wire.js';

export { translateQdrantError } from './qdrant-errors.js';
export { POINT_ID_NAMESPACE, qdrantPointId, toQdrantFilter, uuidV5 } from './qdrant-points.js';

export interface QdrantVectorStoreOptions {
  /** REST endpoint, e.g. http://qdrant:6333. */
  readonly url: string;
  readonly apiKey?: string;
  readonly logger: Logger;
  /** Per-request timeout. Default 30 s. */
  readonly timeoutMs?: number;
  /** Retries of 5xx, 429, timeouts and refused connections. Default 4 attempts from 200 ms. */
  readonly retry?: RetryPolicy;
  /** How new collections are created (factors, on-disk payload, payload indexes). */
  readonly collections?: QdrantCollectionOptions;
  /**
   * Prepended to every collection and alias name sent to Qdrant, so that several deployments (or
   * test runs) share one server without meeting. Default none.
   */
  readonly collectionPrefix?: string;
  /** Most points and bytes of one upsert request. Default 512 points, 16 MiB. */
  readonly upsertLimits?: ChunkLimits;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };
/** Half of Qdrant's default 32 MiB max_request_size_mb, so a default server never refuses a chunk. */
export const DEFAULT_UPSERT_LIMITS: ChunkLimits = { maxPoints: 512, maxBytes: 16 * 1024 * 1024 };

/**
 * VectorStore on a Qdrant server: cosine collections, string ids mapped to UUIDv5 point ids with
 * the original id kept in the payload under RESERVED_PAYLOAD_KEY. Qdrant normalises vectors of
 * cosine collections on write unless they are already unit length, which ours always are.
 */
export class QdrantVectorStore implements VectorStore {
  private readonly client: QdrantClient;
  private readonly log: Logger;
  private readonly ensuring = new Map<string, Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: QdrantVectorStoreOptions) {
    // The compatibility check would print to the console from inside the client; start() asks instead.
    this.client = new QdrantClient({ ...clientAddress(options.url), apiKey: options.apiKey, timeout: options.timeoutMs ?? 30_000, checkCompatibility: false });
    this.log = options.logger.child({ component: 'qdrant-vector-store' });
  }

  async start(): Promise<void> {
    const info = await this.call('connect', () => this.client.versionInfo());
    checkServerVersion(info.version, this.log);
    // GET / answers without an API key (Qdrant exempts it from auth): a wrong QDRANT_API_KEY shows only here.
    await this.call('authenticate', () => this.client.getCollections());
    this.log.info({ url: this.options.url, version: info.version }, 'qdrant reachable');
  }

  close(): Promise<void> {
    this.closing ??= Promise.allSettled([...this.ensuring.values()]).then(() => undefined);
    return this.closing;
  }

  ensureCollection(name: string, dimension: number): Promise<void> {
    validateCollectionName(name);
    validateDimension(dimension);
    // Chained per name so that concurrent callers do not race each other into "already exists".
    const run = (this.ensuring.get(name) ?? Promise.resolve()).then(() => this.ensureOnce(name, dimension));
    const settled = run.catch(() => undefined);
    this.ensuring.set(name, settled);
    void settled.then(() => this.ensuring.get(name) === settled && this.ensuring.delete(name));
    return run;
  }

  async collectionDimension(name: string): Promise<number | undefined> {
    validateCollectionName(name);
    const info = await this.describe(name);
    return info === undefined ? undefined : checkedDimension(name, info.config.params.vectors);
  }

  async dropCollection(name: string): Promise<void> {
    validateCollectionName(name);
    await this.call(`drop ${name}`, () => this.client.deleteCollection(this.named(name))).catch((e: InterestStreamError) => {
      if (e.code !== 'NOT_FOUND') throw e;
    });
  }

  async upsert(collection: string, points: readonly VectorPoint[]): Promise<void> {
    const clean = preparePoints(points);
    validateCollectionName(collection);
    if (clean.length === 0) return void (await this.requireDimension(collection));
    await this.namingWrongSize(collection, clean, () => this.sendPoints(collection, clean.map(toPointBody)));
  }

  /** Runs a write of `points`; Qdrant's DIMENSION_MISMATCH names no point, so the one of the wrong size is found here. */
  private async namingWrongSize<T>(collection: string, points: readonly VectorPoint[], write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (isInterestStreamError(e) && e.code === 'DIMENSION_MISMATCH') checkPointDimensions(collection, await this.requireDimension(collection), points);
      throw e;
    }
  }

  /**
   * Per-point conditional upserts in batch requests under the same count and byte limits as
   * `upsert`, then a read-back of the versions to count the stale ones.
   */
  async upsertIfNewer(collection: string, points: readonly VectorPoint[], version: VersionKeys): Promise<ConditionalUpsert> {
    const clean = preparePoints(points);
    const versions = versionsOf(clean, version);
    validateCollectionName(collection);
    if (clean.length === 0) {
      await this.requireDimension(collection);
      return { stale: 0 };
    }
    const body = clean.map(toPointBody);
    // Sized as sent: each operation carries its update_filter besides the point.
    const batches = this.chunks(conditionalUpsertOperations(body, versions, version), (_, i) => clean[i]!.id);
    await this.namingWrongSize(collection, clean, async () => {
      for (const operations of batches) {
        await this.call(`conditional upsert into ${collection}`, () => this.client.batchUpdate(this.named(collection), { wait: true, operations }));
      }
    });
    const stored = await this.call(`read back ${collection}`, () =>
      this.client.retrieve(this.named(collection), { ids: body.map((b) => b.id), with_payload: { include: [version.stream, version.position] }, with_vector: false }),
    );
    const byId = new Map(stored.map((r) => [String(r.id), r.payload ?? {}]));
    return { stale: countStale(versions, body.map((b) => storedVersion(byId.get(b.id), version))) };
  }

  /**
   * Upserts in requests under the configured count and byte limits, one after another. Not atomic
   * across requests; every caller rewrites the whole set after a failure, and upserts by id are
   * idempotent, so a partial write is only ever a state that the retry completes.
   */
  private async sendPoints(collection: string, body: readonly QdrantPointBody[]): Promise<void> {
    for (const points of this.chunks(body, (p) => String(p.payload[RESERVED_PAYLOAD_KEY]))) {
      await this.call(`upsert into ${collection}`, () => this.client.upsert(this.named(collection), { wait: true, points }));
    }
  }

  /** Points (or operations) split into requests under the configured count and byte limits (INVALID_INPUT for one too big alone). */
  private chunks<T>(items: readonly T[], originalId: (item: T, index: number) => string): T[][] {
    return chunkPoints(items, this.options.upsertLimits ?? DEFAULT_UPSERT_LIMITS, originalId);
  }

  async get(collection: string, ids: readonly string[]): Promise<Map<string, VectorPoint>> {
    validateIds(ids);
    validateCollectionName(collection);
    const records = await this.call(`get from ${collection}`, () =>
      this.client.retrieve(this.named(collection), { ids: [...new Set(ids)].map(qdrantPointId), with_payload: true, with_vector: true }),
    );
    const found = new Map<string, VectorPoint>();
    for (const r of records) {
      const { id, payload } = stripReserved(r.payload);
      if (typeof id === 'string') found.set(id, { id, vector: Float32Array.from(r.vector as number[]), payload });
    }
    return found;
  }

  async delete(collection: string, ids: readonly string[]): Promise<void> {
    validateIds(ids);
    validateCollectionName(collection);
    if (ids.length === 0) return void (await this.requireDimension(collection));
    await this.call(`delete from ${collection}`, () => this.client.delete(this.named(collection), { wait: true, points: [...new Set(ids)].map(qdrantPointId) }));
  }

  async search(collection: string, request: SearchRequest): Promise<SearchHit[]> {
    const req = validateSearchRequest(request);
    validateCollectionName(collection);
    try {
      const result = await this.call(`search ${collection}`, () =>
        this.client.query(this.named(collection), { query: compactVector(req.vector), limit: req.limit, filter: toQdrantFilter(req), with_payload: true, with_vector: false }),
      );
      return result.points.map((p) => {
        const { id, payload } = stripReserved(p.payload);
        return { id: String(id), score: p.score, payload };
      });
    } catch (e) {
      if (isInterestStreamError(e) && e.code === 'DIMENSION_MISMATCH') checkQueryDimension(collection, await this.requireDimension(collection), req.vector);
      throw e;
    }
  }

  async count(collection: string): Promise<number> {
    validateCollectionName(collection);
    return (await this.call(`count ${collection}`, () => this.client.count(this.named(collection), { exact: true }))).count;
  }

  /**
   * Points `alias` at `collection` in one atomic alias update (readers never see no alias). Qdrant
   * applies the actions one by one and keeps those done before a failure, so a switch to a missing
   * collection would delete the alias and then fail: the target is checked first (NOT_FOUND).
   */
  async setAlias(alias: string, collection: string): Promise<void> {
    validateCollectionName(alias);
    validateCollectionName(collection);
    await this.requireDimension(collection);
    const current = await this.resolveAlias(alias);
    if (current === undefined && (await this.describe(alias)) !== undefined) {
      // Qdrant would answer 409 "already exists" to every attempt: say what is actually wrong.
      throw new InterestStreamError('INVALID_INPUT', `cannot make "${alias}" an alias of "${collection}": a collection is named "${alias}"`, {
        details: { alias, collection },
      });
    }
    const actions: Schemas['AliasOperations'][] = [
      ...(current !== undefined ? [{ delete_alias: { alias_name: this.named(alias) } }] : []),
      { create_alias: { alias_name: this.named(alias), collection_name: this.named(collection) } },
    ];
    // Not retried: after a lost answer the actions computed above may no longer apply.
    await this.call(`alias ${alias} -> ${collection}`, () => this.client.updateCollectionAliases({ actions }), false);
  }

  /** The collection an alias points at, or undefined when there is no such alias. */
  async resolveAlias(alias: string): Promise<string | undefined> {
    const { aliases } = await this.call('list aliases', () => this.client.getAliases());
    const target = aliases.find((a) => a.alias_name === this.named(alias))?.collection_name;
    return target?.startsWith(this.prefix) ? target.slice(this.prefix.length) : target;
  }

  private async ensureOnce(name: string, dimension: number): Promise<void> {
    let existing = await this.collectionDimension(name);
    if (existing === undefined) {
      try {
        const body = createCollectionBody(dimension, this.options.collections ?? DEFAULT_COLLECTION_OPTIONS);
        await this.call(`create ${name}`, () => this.client.createCollection(this.named(name), body));
      } catch (e) {
        // Another process may have created it first; what matters is the layout it has now.
        existing = await this.collectionDimension(name);
        if (existing === undefined) throw e;
      }
    }
    if (existing !== undefined && existing !== dimension) {
      throw new InterestStreamError('DIMENSION_MISMATCH', `collection "${name}" exists with dimension ${existing}, not ${dimension}`, {
        details: { collection: name, expected: existing, actual: dimension },
      });
    }
    await this.ensurePayloadIndexes(name);
  }

  /** Creates the configured payload indexes the collection lacks (also on collections made before). */
  private async ensurePayloadIndexes(name: string): Promise<void> {
    const wanted = (this.options.collections ?? DEFAULT_COLLECTION_OPTIONS).payloadIndexes;
    if (wanted.length === 0) return;
    const info = await this.describe(name);
    for (const index of missingPayloadIndexes(info?.payload_schema, wanted)) {
      await this.call(`index ${name}.${index.field}`, () => this.client.createPayloadIndex(this.named(name), { field_name: index.field, field_schema: index.type, wait: true }));
    }
  }

  /** The collection's description, or undefined when it does not exist. */
  private async describe(name: string): Promise<Schemas['CollectionInfo'] | undefined> {
    try {
      return await this.call(`describe ${name}`, () => this.client.getCollection(this.named(name)));
    } catch (e) {
      if (isInterestStreamError(e) && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }

  private async requireDimension(collection: string): Promise<number> {
    const dimension = await this.collectionDimension(collection);
    if (dimension === undefined) throw new InterestStreamError('NOT_FOUND', `collection "${collection}" does not exist`, { details: { collection } });
    return dimension;
  }

  private get prefix(): string {
    return this.options.collectionPrefix ?? '';
  }

  /** The name Qdrant knows a collection or alias by. */
  private named(name: string): string {
    return this.prefix + name;
  }

  private async call<T>(what: string, op: () => Promise<T>, retry = true): Promise<T> {
    if (this.closing) throw new InterestStreamError('STORE_UNAVAILABLE', 'qdrant vector store is closed');
    return withQdrantRetries(what, op, retry ? (this.options.retry ?? DEFAULT_RETRY) : NO_RETRY);
  }
}

const NO_RETRY: RetryPolicy = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
