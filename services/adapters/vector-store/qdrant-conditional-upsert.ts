import type { Schemas } from '@qdrant/js-client-rest';
import type { VectorPoint, VersionKeys } from '../../domain/ports/index.js';
import { pointVersion, type PointVersion } from './point-versions.js';
import { qdrantEq } from './qdrant-filter.js';

type PointStruct = Schemas['PointStruct'];

/**
 * The batch of Qdrant operations of a conditional upsert: one upsert per point, each with its own
 * `update_filter` ("unless the stored point has the same stream and a greater position"). Qdrant
 * leaves a stored point that fails the filter untouched, overwrites one that passes and inserts a
 * missing one whatever the filter — exactly a compare-and-set, evaluated on the shard that owns
 * the point. One request carries all of them (POST /collections/{name}/points/batch).
 */
export function conditionalUpsertOperations(points: readonly PointStruct[], versions: readonly PointVersion[], keys: VersionKeys): Schemas['UpdateOperation'][] {
  return points.map((point, i) => {
    const v = versions[i]!;
    const newer: Schemas['Filter'] = {
      must: [
        qdrantEq(keys.stream, v.stream),
        { key: keys.position, range: { gt: v.position } },
      ],
    };
    return { upsert: { points: [point], update_filter: { must_not: [newer] } } };
  });
}

/**
 * Qdrant does not say which conditional upserts it skipped: the points are read back (payload keys
 * of the version only) and those holding another version than the one sent are counted. A point a
 * newer writer replaced right after ours is counted too: our write did not survive either way.
 */
export function countStale(sent: readonly PointVersion[], stored: ReadonlyArray<PointVersion | undefined>): number {
  return sent.filter((v, i) => {
    const s = stored[i];
    return s !== undefined && (s.stream !== v.stream || s.position !== v.position);
  }).length;
}

/** The versions of the points to write, validated before anything is sent. */
export function versionsOf(points: readonly VectorPoint[], keys: VersionKeys): PointVersion[] {
  return points.map((p) => pointVersion(p, keys));
}
