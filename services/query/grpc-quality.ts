/** gRPC rendering of the issue-16 answer fields (bucket, exclusions, explanations); proto3 names. */
import type { Recommendations, ResultItem } from './use-cases.js';

export function renderBecause(i: ResultItem): object[] {
  return (i.because ?? []).map((c) => ({ item_id: c.itemId, cosine: c.cosine, weight: c.weight, contribution: c.contribution }));
}

export function renderQuality(r: Recommendations): object {
  return {
    bucket: r.bucket ?? '',
    impression_id: r.impressionId ?? '',
    ...(r.exclusions === undefined ? {} : { exclusions: { seen: r.exclusions.seen, disliked: r.exclusions.disliked } }),
  };
}
