/**
 * Brute force, float64 over the float32 values: every item's cosine with the query (plus bias),
 * the eligible items sorted by score then catalogue order, and where the target falls (ties count
 * against it). What `CatalogueIndex` must equal exactly.
 */
export function bruteForceRanking(vectors: Float32Array[], query: Float32Array | null, bias: Float64Array | undefined, target: number, excluded: Uint8Array, k: number) {
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const score = (i: number) => {
    const b = bias?.[i] ?? 0;
    if (query === null) return b;
    let dot = 0;
    for (let j = 0; j < query.length; j++) dot += vectors[i]![j]! * query[j]!;
    return dot * (1 / norm(vectors[i]!)) * (1 / norm(query)) + b;
  };
  const eligible = vectors.map((_, i) => i).filter((i) => excluded[i] === 0);
  const scores = vectors.map((_, i) => score(i));
  const order = [...eligible].sort((a, b) => scores[b]! - scores[a]! || a - b);
  const above = order.filter((i) => i !== target && scores[i]! >= scores[target]!);
  return { rank: 1 + above.length, top: order.slice(0, k), above };
}
