/** Cosine similarity in float64, written for the tests only (independent of services/domain). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** The ids of the `limit` points nearest `q` by cosine among those `keep` accepts, nearest first (brute force). */
export function exactTopIds<P extends { id: string; vector: Float32Array }>(points: readonly P[], q: Float32Array, limit: number, keep: (p: P) => boolean = () => true): string[] {
  return points
    .filter(keep)
    .map((p) => ({ id: p.id, s: cosine(p.vector, q) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, limit)
    .map((h) => h.id);
}
