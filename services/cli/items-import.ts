import type { VectorStore } from '../domain/ports/index.js';
import { normalize } from '../domain/vector.js';
import { InterestStreamError } from '../domain/errors.js';
import { parseItemLine } from '../core/jsonl.js';
import type { Logger } from '../core/logger.js';
import { ITEMS_COLLECTION } from '../core/names.js';
import { validateThenBatch } from './jsonl-batches.js';

export interface ImportResult {
  readonly imported: number;
  readonly dimension: number;
}

/**
 * Imports a catalogue from JSONL (`{"id", "vector": [...], "payload"?: {...}}` per line). The whole
 * file is validated before anything is written — JSON, finite values, one dimension across the file
 * and equal to the existing collection's — so an error (with its line number) leaves the catalogue
 * untouched. Vectors are stored unit length: cosine ranking does not care, and the fold and the
 * `average` strategy can use them as they are.
 */
export async function importItems(opts: { file: string; store: VectorStore; logger: Logger; batchSize?: number; collection?: string }): Promise<ImportResult> {
  const collection = opts.collection ?? ITEMS_COLLECTION;
  let dimension = await opts.store.collectionDimension(collection);
  const imported = await validateThenBatch({
    file: opts.file,
    parse: (line, lineNo) => {
      const item = parseItemLine(line, lineNo, dimension);
      dimension ??= item.vector.length;
      const unit = normalize(item.vector);
      if (unit === null) throw new InterestStreamError('INVALID_VECTOR', `line ${lineNo}: item ${JSON.stringify(item.id)} has a zero vector`);
      return { id: item.id, vector: unit, payload: item.payload };
    },
    beforeWrite: async (total) => {
      if (dimension === undefined || total === 0) throw new InterestStreamError('INVALID_INPUT', `${opts.file}: no items found`);
      await opts.store.ensureCollection(collection, dimension);
    },
    write: (batch) => opts.store.upsert(collection, batch),
    label: 'importing items',
    logger: opts.logger,
    batchSize: opts.batchSize,
  });
  opts.logger.info({ items: imported, dimension, collection }, 'catalogue imported');
  return { imported, dimension: dimension! };
}
