import { isInterestStreamError } from '../../domain/errors.js';
import { GENERATIONS_COLLECTION } from '../../core/names.js';
import type { VectorStore } from '../../domain/ports/index.js';
import { PLACEHOLDER_VECTOR, recordCollection } from './record-collection.js';

/** The durable side of the generation registry (RedisGenerationRegistry mirrors into it). */
export interface GenerationsMirror {
  /** Every registered generation, name -> JSON description. */
  all(): Promise<Map<string, string>>;
  put(name: string, description: string): Promise<void>;
  remove(name: string): Promise<void>;
  /** The last activated generation, or null when none ever was. */
  active(): Promise<string | null>;
  setActive(name: string): Promise<void>;
}

/** Point id of the active pointer; generation names never contain '~' (names.ts). */
const ACTIVE_ID = '~active';
/**
 * The registry and the active pointer as a tiny collection of the vector store (dimension 1, one
 * point per generation plus one for the pointer), so a Redis flushed without persistence can be
 * restored from it instead of every user being served a cold start.
 */
export class VectorStoreGenerations implements GenerationsMirror {
  private readonly ensure: () => Promise<void>;

  constructor(private readonly store: VectorStore) {
    this.ensure = recordCollection(store, GENERATIONS_COLLECTION);
  }

  async all(): Promise<Map<string, string>> {
    const points = await this.read(async () => {
      const n = await this.store.count(GENERATIONS_COLLECTION);
      // The collection is tiny; a search with an unreachable limit lists it without a scan API.
      return n === 0 ? [] : this.store.search(GENERATIONS_COLLECTION, { vector: PLACEHOLDER_VECTOR, limit: n, excludeIds: [ACTIVE_ID] });
    });
    return new Map((points ?? []).map((p) => [p.id, String(p.payload.description)]));
  }

  async put(name: string, description: string): Promise<void> {
    await this.write([{ id: name, vector: PLACEHOLDER_VECTOR, payload: { description } }]);
  }

  async remove(name: string): Promise<void> {
    await this.ensure();
    await this.store.delete(GENERATIONS_COLLECTION, [name]);
  }

  async active(): Promise<string | null> {
    const found = await this.read(() => this.store.get(GENERATIONS_COLLECTION, [ACTIVE_ID]));
    const name = found?.get(ACTIVE_ID)?.payload.name;
    return typeof name === 'string' ? name : null;
  }

  async setActive(name: string): Promise<void> {
    await this.write([{ id: ACTIVE_ID, vector: PLACEHOLDER_VECTOR, payload: { name } }]);
  }


  private async write(points: Parameters<VectorStore['upsert']>[1]): Promise<void> {
    await this.ensure();
    await this.store.upsert(GENERATIONS_COLLECTION, points);
  }

  /** Before anything was ever registered the collection does not exist: that reads as empty. */
  private async read<T>(op: () => Promise<T>): Promise<T | undefined> {
    try {
      return await op();
    } catch (e) {
      if (isInterestStreamError(e) && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }
}
