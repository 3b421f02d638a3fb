/**
 * What a Qdrant collection must look like for interest-stream, how one is created, and the check of
 * one that already exists: one unnamed vector of the expected size with Cosine distance. Anything
 * else (another distance, named vectors) is refused with the reason, because searching it would give
 * wrong rankings or fail on every write.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { InterestStreamError } from '../../domain/errors.js';
import type { PayloadIndexSpec } from '../../core/payload-indexes.js';

export type { PayloadIndexSpec } from '../../core/payload-indexes.js';

/** How new collections are created (every field from configuration). */
export interface QdrantCollectionOptions {
  /** Keep payloads on disk, not in RAM (QDRANT_ON_DISK_PAYLOAD). */
  readonly onDiskPayload: boolean;
  readonly shardNumber: number;
  readonly replicationFactor: number;
  readonly writeConsistencyFactor: number;
  /** Payload fields that filters use, indexed so a filtered search does not scan (QDRANT_PAYLOAD_INDEXES). */
  readonly payloadIndexes: readonly PayloadIndexSpec[];
}

export const DEFAULT_COLLECTION_OPTIONS: QdrantCollectionOptions = {
  onDiskPayload: true,
  shardNumber: 1,
  replicationFactor: 1,
  writeConsistencyFactor: 1,
  payloadIndexes: [],
};

/** The body of PUT /collections/{name}. */
export function createCollectionBody(dimension: number, options: QdrantCollectionOptions): Schemas['CreateCollection'] {
  return {
    vectors: { size: dimension, distance: 'Cosine' },
    on_disk_payload: options.onDiskPayload,
    shard_number: options.shardNumber,
    replication_factor: options.replicationFactor,
    write_consistency_factor: options.writeConsistencyFactor,
  };
}

function layoutError(name: string, what: string): InterestStreamError {
  return new InterestStreamError(
    'INVALID_INPUT',
    `collection "${name}" exists with ${what}; interest-stream needs one unnamed vector with Cosine distance — use another collection name or drop this one`,
    { details: { collection: name } },
  );
}

/**
 * The vector size of an existing collection after checking its layout: INVALID_INPUT for named
 * vectors or a distance other than Cosine.
 */
export function checkedDimension(name: string, vectors: Schemas['VectorsConfig'] | undefined): number {
  if (vectors === undefined) throw layoutError(name, 'no dense vectors');
  if (!('size' in vectors) || typeof vectors.size !== 'number') {
    throw layoutError(name, `named vectors (${Object.keys(vectors).join(', ') || 'none'})`);
  }
  const params = vectors as Schemas['VectorParams'];
  if (params.distance !== 'Cosine') throw layoutError(name, `distance ${params.distance}`);
  return params.size;
}

/** The wanted indexes the collection does not have yet. */
export function missingPayloadIndexes(payloadSchema: Record<string, unknown> | undefined, wanted: readonly PayloadIndexSpec[]): PayloadIndexSpec[] {
  return wanted.filter((w) => payloadSchema?.[w.field] === undefined);
}
