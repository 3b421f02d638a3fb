/** The embedded store's exact search on LanceDB: small collections, and filters too selective for the ANN index. */
import type { Table } from '@lancedb/lancedb';
import type { Filter, SearchHit } from '../../domain/ports/index.js';
import { matchesFilter } from '../../domain/filter.js';
import type { Row } from './lance-tables.js';

/** The k nearest rows by cosine, exhaustively (any LanceDB index is bypassed, so results are exact). */
export async function nearest(table: Table, vector: Float32Array, k: number, where: string | undefined): Promise<SearchHit[]> {
  let query = table.vectorSearch(vector).distanceType('cosine').bypassVectorIndex().select(['id', 'payload', '_distance']).limit(k);
  if (where !== undefined) query = query.where(where);
  const rows = (await query.toArray()) as Row[];
  // LanceDB's cosine distance is 1 - similarity.
  return rows.map((r) => ({ id: r.id, score: 1 - (r._distance ?? 1), payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

/**
 * The post-filter needs candidates beyond `limit`: ask for 4x more each round until enough match
 * or the table has no more rows. The exclusion stays a prefilter, so excluded ids never use up k.
 */
export async function filteredSearch(search: (k: number) => Promise<SearchHit[]>, filter: Filter, limit: number): Promise<SearchHit[]> {
  for (let k = Math.max(limit * 4, 64); ; k *= 4) {
    const candidates = await search(k);
    const hits = candidates.filter((h) => matchesFilter(h.payload, filter));
    if (hits.length >= limit || candidates.length < k) return hits.slice(0, limit);
  }
}
