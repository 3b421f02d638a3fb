import { ITEMS_COLLECTION, isValidGeneration } from '../names.js';
import type { Reader } from './reader.js';

/** Which generation a process writes or reads, and the catalogue it uses. */
export interface GenerationSettings {
  /** GENERATION: the generation this process writes (ingest) or reads when no pointer is set. Default `g1`. */
  readonly generation: string;
  /** ITEMS_COLLECTION: the catalogue collection this generation reads (a new embedding model gets a new one). Default `items`. */
  readonly itemsCollection: string;
}

export function readGenerationSettings(r: Reader): GenerationSettings {
  const generation = r.str('GENERATION', 'g1');
  if (!isValidGeneration(generation)) {
    r.problems.push(`GENERATION=${JSON.stringify(generation)}: lowercase letters, digits, - and _ only (max 63)`);
  }
  return { generation, itemsCollection: r.str('ITEMS_COLLECTION', ITEMS_COLLECTION) };
}
