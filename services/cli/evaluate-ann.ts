/** `evaluate --ann`: the query service's embedded HNSW index (usearch, default parameters) over the catalogue. */
import { ItemIndex } from '../adapters/vector-store/item-index.js';
import type { AnnRanker } from '../domain/evaluation/ann-ranking.js';
import type { CatalogueIndex } from '../domain/evaluation/catalogue-index.js';

export async function buildAnnRanker(catalogue: CatalogueIndex): Promise<AnnRanker> {
  const rows = catalogue.ids.map((id, i) => ({ id, vector: catalogue.vectorOf(i), payload: '{}' }));
  const index = await ItemIndex.build(catalogue.dimension, rows, 0);
  return {
    nearest(query, limit, exclude) {
      const hits = index.search({ vector: query, limit, exclude, filter: undefined, maxCandidates: Infinity }) ?? [];
      return hits.map((h) => catalogue.indexOf(h.id)!);
    },
  };
}
