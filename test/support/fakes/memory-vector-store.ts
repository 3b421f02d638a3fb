import { InterestStreamError } from '../../../services/domain/errors.js';
import type { ConditionalUpsert, SearchHit, SearchRequest, VectorPoint, VectorStore, VersionKeys } from '../../../services/domain/ports/index.js';
import { cosine } from '../../../services/domain/vector.js';
import { matchesFilter } from '../../../services/domain/filter.js';
import { mayReplace, pointVersion } from '../../../services/adapters/vector-store/point-versions.js';

interface Collection {
  readonly dimension: number;
  readonly points: Map<string, VectorPoint>;
}

/**
 * A VectorStore for unit tests of the use cases: collections in maps, exact search by cosine (ties by
 * id), the same filter and version rules as the real adapters, NOT_FOUND for a missing collection.
 * Points are copied in and out, so a caller can never change what is stored. `failNext` makes the
 * next calls of a method reject, for the store-failure cases.
 */
export class MemoryVectorStore implements VectorStore {
  private readonly collections = new Map<string, Collection>();
  private readonly failures: Array<{ method: keyof VectorStore; collection?: string; error: Error }> = [];
  /** Calls per method, to assert what a use case asked for. */
  readonly calls: Array<{ method: keyof VectorStore; collection: string }> = [];

  /** Makes the next call of `method` (on `collection`, when given) reject with `error`; queued in order. */
  failNext(method: keyof VectorStore, error: Error, collection?: string): void {
    this.failures.push({ method, collection, error });
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {}

  async ensureCollection(name: string, dimension: number): Promise<void> {
    this.enter('ensureCollection', name);
    const existing = this.collections.get(name);
    if (existing === undefined) this.collections.set(name, { dimension, points: new Map() });
    else if (existing.dimension !== dimension) throw new InterestStreamError('DIMENSION_MISMATCH', `collection "${name}" holds ${existing.dimension}, not ${dimension}`);
  }

  async collectionDimension(name: string): Promise<number | undefined> {
    this.enter('collectionDimension', name);
    return this.collections.get(name)?.dimension;
  }

  async dropCollection(name: string): Promise<void> {
    this.enter('dropCollection', name);
    this.collections.delete(name);
  }

  async upsert(collection: string, points: readonly VectorPoint[]): Promise<void> {
    const c = this.require('upsert', collection);
    for (const p of points) c.points.set(p.id, copy(p));
  }

  async get(collection: string, ids: readonly string[]): Promise<Map<string, VectorPoint>> {
    const c = this.require('get', collection);
    const out = new Map<string, VectorPoint>();
    for (const id of ids) {
      const p = c.points.get(id);
      if (p !== undefined) out.set(id, copy(p));
    }
    return out;
  }

  async delete(collection: string, ids: readonly string[]): Promise<void> {
    const c = this.require('delete', collection);
    for (const id of ids) c.points.delete(id);
  }

  async search(collection: string, request: SearchRequest): Promise<SearchHit[]> {
    const c = this.require('search', collection);
    const excluded = new Set(request.excludeIds ?? []);
    return [...c.points.values()]
      .filter((p) => !excluded.has(p.id) && (request.filter === undefined || matchesFilter(p.payload, request.filter)))
      .map((p) => ({ id: p.id, score: cosine(request.vector, p.vector), payload: { ...p.payload } }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
      .slice(0, request.limit);
  }

  async count(collection: string): Promise<number> {
    return this.require('count', collection).points.size;
  }

  async upsertIfNewer(collection: string, points: readonly VectorPoint[], version: VersionKeys): Promise<ConditionalUpsert> {
    const c = this.require('upsertIfNewer', collection);
    let stale = 0;
    for (const p of points) {
      const stored = c.points.get(p.id);
      // A point written unconditionally (no version keys) is replaced, as by the real adapters.
      const versioned = stored !== undefined && typeof stored.payload[version.stream] === 'number';
      if (mayReplace(versioned ? pointVersion(stored, version) : undefined, pointVersion(p, version))) c.points.set(p.id, copy(p));
      else stale++;
    }
    return { stale };
  }

  private require(method: keyof VectorStore, name: string): Collection {
    this.enter(method, name);
    const c = this.collections.get(name);
    if (c === undefined) throw new InterestStreamError('NOT_FOUND', `collection "${name}" does not exist`, { details: { collection: name } });
    return c;
  }

  private enter(method: keyof VectorStore, collection: string): void {
    this.calls.push({ method, collection });
    const i = this.failures.findIndex((f) => f.method === method && (f.collection === undefined || f.collection === collection));
    if (i >= 0) throw this.failures.splice(i, 1)[0]!.error;
  }
}

function copy(p: VectorPoint): VectorPoint {
  return { id: p.id, vector: Float32Array.from(p.vector), payload: structuredClone(p.payload) };
}
