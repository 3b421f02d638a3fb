import type { VectorStore } from '../../domain/ports/index.js';

/** The vector of a record kept in the vector store for its payload alone (a dimension-1 collection). */
export const PLACEHOLDER_VECTOR = Float32Array.of(1);

/**
 * A dimension-1 collection of records (the generation registry, the erase markers, the shredding
 * keys), created on first use by whichever process gets there first (creating an existing collection
 * is a no-op) and tried again on the next use after a failure. Returns the function to await before
 * each use.
 */
export function recordCollection(store: VectorStore, name: string): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= store.ensureCollection(name, 1).catch((e: unknown) => {
      ready = undefined;
      throw e;
    });
    return ready;
  };
}
