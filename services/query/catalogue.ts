/**
 * The use cases' reads of the item catalogue: items by id, a user's recent views with their
 * vectors, and the popular items a user without a vector gets (cold start). Before any import there
 * is no items collection, and every read here answers "none" instead of failing.
 */
import type { Filter, SearchHit, VectorPoint, VectorStore } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import { InterestStreamError } from '../domain/errors.js';
import { matchesFilter } from '../domain/filter.js';
import type { GenerationView } from './generation-views.js';

/** How many popular candidates to read per wanted result when a filter may reject most of them. */
const COLD_START_FILTER_FACTOR = 10;
const COLD_START_MIN_SCAN = 500;

/** Catalogue items by id; before any import (no items collection yet) there are none. */
export function catalogueItems(vectors: VectorStore, collection: string, ids: readonly string[]): Promise<Map<string, VectorPoint>> {
  return vectors.get(collection, [...new Set(ids)]).catch(noCatalogue(new Map<string, VectorPoint>()));
}

/** The user's recent views that are still in the catalogue, oldest first, with their vectors. */
export async function recentVectors(vectors: VectorStore, collection: string, state: UserState): Promise<Array<{ id: string; vector: Float32Array }>> {
  const items = await catalogueItems(vectors, collection, state.recentViews);
  return state.recentViews.flatMap((id) => {
    const p = items.get(id);
    return p === undefined ? [] : [{ id, vector: p.vector }];
  });
}

/** Popular items (decayed view counts, most first) that are still in the catalogue and pass the filter. */
export async function popularItems(
  vectors: VectorStore,
  g: Pick<GenerationView, 'itemsCollection' | 'popularity'>,
  limit: number,
  excludeIds: readonly string[],
  filter: Filter | undefined,
): Promise<SearchHit[]> {
  const scan = filter ? Math.max(limit * COLD_START_FILTER_FACTOR, COLD_START_MIN_SCAN) : limit * 2;
  const top = await g.popularity.top(scan, { excludeIds });
  if (top.length === 0) return [];
  const points = await catalogueItems(vectors, g.itemsCollection, top.map((t) => t.itemId));
  const out: SearchHit[] = [];
  for (const t of top) {
    const p = points.get(t.itemId);
    if (p === undefined || (filter !== undefined && !matchesFilter(p.payload, filter))) continue;
    out.push({ id: t.itemId, score: t.score, payload: p.payload });
    if (out.length === limit) break;
  }
  return out;
}

function isMissingCollection(e: unknown): boolean {
  return e instanceof InterestStreamError && e.code === 'NOT_FOUND';
}

/** A rejection handler answering `empty` when the items collection does not exist yet. */
export function noCatalogue<T>(empty: T): (e: unknown) => T {
  return (e) => {
    if (isMissingCollection(e)) return empty;
    throw e;
  };
}
