import { ERASE_MARKERS_COLLECTION } from '../../core/names.js';
import { formatWatermark, parseWatermark } from '../../core/user-state-codec.js';
import type { EraseMarker, VectorStore } from '../../domain/ports/index.js';
import { supersedes } from '../../domain/tombstone.js';
import { PLACEHOLDER_VECTOR, recordCollection } from './record-collection.js';

/** The durable side of the erase markers (RedisErasures mirrors into it, and reads it for what Redis lost). */
export interface EraseMarkersMirror {
  /** Keeps each marker unless the one held for its user is later (`supersedes`). */
  put(markers: readonly EraseMarker[]): Promise<void>;
  /** The markers held for these users; users never erased are absent. */
  get(userIds: readonly string[]): Promise<Map<string, EraseMarker>>;
}

/**
 * Erase markers as a small collection of the vector store (dimension 1, one point per erased user:
 * `{ w: "<partition>:<offset>", at, partition, offset }`), so that a Redis that lost its data
 * (a restart without persistence, a failover to a replica that had not received the marker) cannot
 * let a replay into a new generation rebuild an erased user from the interactions topic
 * (docs/privacy.md). The write is a compare-and-set per point on (partition, offset) — atomic
 * across processes on a partition — after a read that drops a marker an existing one on another
 * partition supersedes by time. Offsets past 2^53 compare exactly in that read; the atomic guard
 * sees them as doubles.
 */
export class VectorStoreEraseMarkers implements EraseMarkersMirror {
  private readonly ensure: () => Promise<void>;

  constructor(private readonly store: VectorStore) {
    this.ensure = recordCollection(store, ERASE_MARKERS_COLLECTION);
  }

  async put(markers: readonly EraseMarker[]): Promise<void> {
    if (markers.length === 0) return;
    const held = await this.get(markers.map((m) => m.userId));
    const latest = new Map<string, EraseMarker>();
    for (const m of markers) if (supersedes(m, latest.get(m.userId) ?? held.get(m.userId))) latest.set(m.userId, m);
    if (latest.size === 0) return;
    const points = [...latest.values()].map((m) => ({
      id: m.userId,
      vector: PLACEHOLDER_VECTOR,
      payload: { w: formatWatermark(m.watermark), at: m.at, partition: m.watermark.partition, offset: Number(m.watermark.offset) },
    }));
    await this.store.upsertIfNewer(ERASE_MARKERS_COLLECTION, points, { stream: 'partition', position: 'offset' });
  }

  async get(userIds: readonly string[]): Promise<Map<string, EraseMarker>> {
    const out = new Map<string, EraseMarker>();
    if (userIds.length === 0) return out;
    await this.ensure();
    for (const [id, point] of await this.store.get(ERASE_MARKERS_COLLECTION, userIds)) {
      const watermark = typeof point.payload.w === 'string' ? parseWatermark(point.payload.w) : null;
      const at = point.payload.at;
      if (watermark !== null && typeof at === 'number') out.set(id, { userId: id, watermark, at });
    }
    return out;
  }

}
