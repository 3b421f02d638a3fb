/**
 * The multi-interest rules written again for the tests (nothing from services/): interests kept per
 * view and dislike as docs/api.md states them, and the merged ranking `evaluate` scores — every
 * interest ranks the whole catalogue, and the lists are merged by importance quotas.
 */
export interface BfInterest {
  v: Float32Array;
  imp: number;
  t: number;
}

export interface BfMultiParams {
  readonly k: number;
  readonly threshold: number;
  readonly halfLifeMs: number;
}

const dotOf = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** fround((wx·x + wy·y) / ‖·‖), null below 1e-6. */
function mix(x: ArrayLike<number>, wx: number, y: ArrayLike<number>, wy: number): Float32Array | null {
  const c = Array.from(x, (_, i) => wx * x[i]! + wy * y[i]!);
  const n = Math.sqrt(dotOf(c, c));
  return n < 1e-6 ? null : Float32Array.from(c, (ci) => ci / n);
}

const key = (i: BfInterest, h: number) => Math.log2(i.imp) + i.t / h;

function nearest(list: readonly BfInterest[], u: Float32Array): number {
  let best = -1;
  for (let i = 0; i < list.length; i++) if (best < 0 || dotOf(list[i]!.v, u) > dotOf(list[best]!.v, u)) best = i;
  return best;
}

function weakest(list: readonly BfInterest[], h: number): number {
  let w = 0;
  for (let i = 1; i < list.length; i++) if (key(list[i]!, h) < key(list[w]!, h)) w = i;
  return w;
}

/** `item` unit length as float32 (item / ‖item‖). */
export function bfUnit(item: Float32Array): Float32Array {
  const n = Math.sqrt(dotOf(item, item));
  return Float32Array.from(item, (x) => x / n);
}

export function bfView(list: BfInterest[], u: Float32Array, weight: number, at: number, alpha: number, p: BfMultiParams): void {
  const n = nearest(list, u);
  if (n >= 0 && dotOf(list[n]!.v, u) >= p.threshold) {
    const it = list[n]!;
    const a = Math.min(1, Math.max(0, alpha * weight));
    it.v = mix(u, a, it.v, 1 - a) ?? it.v;
    if (at >= it.t) {
      it.imp = it.imp * 2 ** (-(at - it.t) / p.halfLifeMs) + weight;
      it.t = at;
    } else it.imp += weight * 2 ** (-(it.t - at) / p.halfLifeMs);
  } else if (list.length < p.k) list.push({ v: u, imp: weight, t: at });
  else list[weakest(list, p.halfLifeMs)] = { v: u, imp: weight, t: at };
}

export function bfDislike(list: BfInterest[], u: Float32Array, weight: number, beta: number, p: BfMultiParams): void {
  const n = nearest(list, u);
  if (n >= 0 && dotOf(list[n]!.v, u) >= p.threshold) list[n]!.v = mix(list[n]!.v, 1, u, -beta * weight) ?? list[n]!.v;
}

/**
 * Rank of `target` and the top K in the merged order: interests by importance; quotas of K by
 * largest remainder; rounds under quotas, then rounds without; an item taken once. Within an
 * interest's ranking the target comes after every item scoring at least as high.
 */
export function bfMultiRank(list: readonly BfInterest[], eligible: readonly number[], target: number, score: (i: number, q: Float32Array) => number, k: number, h: number): { rank: number; top: number[] } {
  const order = [...list].sort((a, b) => key(b, h) - key(a, h));
  const top = key(order[0]!, h);
  const w = order.map((i) => 2 ** (key(i, h) - top));
  const sum = w.reduce((a, b) => a + b, 0);
  const shares = w.map((x) => x / sum);
  const exact = shares.map((s) => s * k);
  const quotas = exact.map(Math.floor);
  const byRemainder = exact.map((x, i) => i).sort((a, b) => exact[b]! - quotas[b]! - (exact[a]! - quotas[a]!) || shares[b]! - shares[a]! || a - b);
  for (let r = 0; quotas.reduce((a, b) => a + b, 0) < k; r++) quotas[byRemainder[r]!]! += 1;
  const ranked = order.map((interest) => {
    const s = eligible.map((i) => ({ i, s: score(i, interest.v) })).sort((a, b) => b.s - a.s || a.i - b.i);
    const ts = s.find((x) => x.i === target)!.s;
    const above = s.filter((x) => x.i !== target && x.s >= ts).map((x) => x.i);
    const below = s.filter((x) => x.i !== target && x.s < ts).map((x) => x.i);
    return [...above, target, ...below];
  });
  const merged: number[] = [];
  const taken = new Set<number>();
  const given = quotas.map(() => 0);
  const at = quotas.map(() => 0);
  // Only the prefix up to the target (and at least K) is needed.
  const done = () => taken.has(target) && merged.length >= k;
  for (const capped of [true, false]) {
    for (let moved = true; moved && !done(); ) {
      moved = false;
      for (let j = 0; j < ranked.length && !done(); j++) {
        const r = ranked[j]!;
        if (capped && given[j]! >= quotas[j]!) continue;
        while (at[j]! < r.length && taken.has(r[at[j]!]!)) at[j]! += 1;
        const next = r[at[j]!];
        if (next === undefined) continue;
        taken.add(next);
        merged.push(next);
        given[j]! += 1;
        moved = true;
      }
    }
  }
  return { rank: merged.indexOf(target) + 1, top: merged.slice(0, k) };
}
