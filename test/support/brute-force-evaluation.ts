/**
 * An independent, brute-force prequential evaluation for the tests (it imports nothing from
 * services/): for each view, score every catalogue item by cosine in float64, sort, and find the
 * viewed item. User vectors follow the fold's rules with float32 storage, in the arithmetic order
 * the architecture specifies (`normalize(wx·x + wy·y)` with float64 intermediates), so the query
 * vectors are the very floats the product stores — which lets ranks be compared exactly.
 */
import { bfDislike, bfMultiRank, bfUnit, bfView, type BfInterest, type BfMultiParams } from './brute-force-multi.js';

export interface BfEvent {
  readonly eventId: string;
  readonly userId: string;
  readonly itemId: string;
  readonly type: 'VIEW' | 'DISLIKE';
  readonly weight: number;
  /** Needed by multi (importance decays in event time). */
  readonly occurredAt?: number;
}

export interface BfMetrics {
  events: number;
  hr: number;
  ndcg: number;
  mrr: number;
  coverage: number;
  ils: number;
}

interface BfUser {
  vector: Float32Array | null;
  recent: string[];
  seen: string[];
  disliked: string[];
  interests: BfInterest[];
}

const norm = (v: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
};

/** fround((wx·x + wy·y) / ‖wx·x + wy·y‖), or null below 1e-6 (the fold then keeps the old vector). */
function combine(x: ArrayLike<number>, wx: number, y: ArrayLike<number>, wy: number): Float32Array | null {
  const c = Array.from(x, (_, i) => wx * x[i]! + wy * y[i]!);
  const n = norm(c);
  return n < 1e-6 ? null : Float32Array.from(c, (ci) => ci / n);
}

function unit(v: ArrayLike<number>, min = 0): Float32Array | null {
  const n = norm(v);
  return n === 0 || n < min ? null : Float32Array.from(v, (x) => x / n);
}

/** Normalised mean (float32 mean of float32 unit vectors), the average / last-item query. */
function averageOf(vectors: Float32Array[]): Float32Array {
  const units = vectors.map((v) => unit(v)!);
  const mean = new Float32Array(units[0]!.length);
  for (let i = 0; i < mean.length; i++) {
    let s = 0;
    for (const u of units) s += u[i]!;
    mean[i] = s / units.length;
  }
  return unit(mean, 1e-6)!;
}

function cos(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += a[i]! * b[i]!;
  return d / (norm(a) * norm(b));
}

function touch(list: string[], id: string, cap: number): void {
  const i = list.indexOf(id);
  if (i >= 0) list.splice(i, 1);
  list.push(id);
  if (list.length > cap) list.splice(0, list.length - cap);
}

export type BfStrategy = 'ema' | 'average' | 'last' | 'multi';

/** Metrics of `strategy` over `events` (in order), K cut-off, fold α/β, last-N views for average. */
export function bruteForceEvaluation(
  items: ReadonlyArray<{ id: string; vector: Float32Array }>,
  events: readonly BfEvent[],
  opts: { strategy: BfStrategy; k: number; alpha: number; beta: number; recentViews: number; seenCap: number; multi?: BfMultiParams },
): BfMetrics {
  const byId = new Map(items.map((it, i) => [it.id, i]));
  const users = new Map<string, BfUser>();
  const shown = new Set<number>();
  const m: BfMetrics = { events: 0, hr: 0, ndcg: 0, mrr: 0, coverage: 0, ils: 0 };
  for (const e of events) {
    const u = users.get(e.userId) ?? { vector: null, recent: [], seen: [], disliked: [], interests: [] };
    users.set(e.userId, u);
    const item = items[byId.get(e.itemId)!]!.vector;
    if (e.type === 'VIEW' && u.vector !== null && !u.seen.includes(e.itemId) && !u.disliked.includes(e.itemId)) {
      const { rank, top } = rankView(items, u, byId.get(e.itemId)!, opts);
      top.forEach((i) => shown.add(i));
      m.events++;
      if (rank <= opts.k) {
        m.hr++;
        m.ndcg += 1 / Math.log2(rank + 1);
      }
      m.mrr += 1 / rank;
      let pairs = 0;
      let sim = 0;
      for (let a = 0; a < top.length; a++) for (let b = a + 1; b < top.length; b++, pairs++) sim += cos(items[top[a]!]!.vector, items[top[b]!]!.vector);
      m.ils += pairs === 0 ? 0 : sim / pairs;
    }
    fold(u, e, item, opts);
  }
  return { ...m, hr: m.hr / m.events, ndcg: m.ndcg / m.events, mrr: m.mrr / m.events, ils: m.ils / m.events, coverage: shown.size / items.length };
}

/** Rank of the viewed item among the eligible items (ties count against it), and the top K. */
function rankView(items: ReadonlyArray<{ id: string; vector: Float32Array }>, u: BfUser, target: number, opts: { strategy: BfStrategy; k: number; multi?: BfMultiParams }): { rank: number; top: number[] } {
  const eligibleIds = items.map((_, i) => i).filter((i) => !u.seen.includes(items[i]!.id) && !u.disliked.includes(items[i]!.id));
  if (opts.strategy === 'multi') return bfMultiRank(u.interests, eligibleIds, target, (i, q) => cos(items[i]!.vector, q), opts.k, opts.multi!.halfLifeMs);
  const byId = (id: string) => items.findIndex((it) => it.id === id);
  const q = opts.strategy === 'ema' ? u.vector! : averageOf((opts.strategy === 'last' ? u.recent.slice(-1) : u.recent).map((id) => items[byId(id)]!.vector));
  const eligible = eligibleIds.map((i) => ({ i, s: cos(items[i]!.vector, q) }));
  eligible.sort((a, b) => b.s - a.s || a.i - b.i);
  const targetScore = eligible.find((x) => x.i === target)!.s;
  const rank = 1 + eligible.filter((x) => x.i !== target && x.s >= targetScore).length;
  return { rank, top: eligible.slice(0, opts.k).map((x) => x.i) };
}

function fold(u: BfUser, e: BfEvent, item: Float32Array, opts: { alpha: number; beta: number; recentViews: number; seenCap: number; multi?: BfMultiParams }): void {
  const itemNorm = norm(item);
  if (opts.multi !== undefined) {
    if (e.type === 'VIEW') bfView(u.interests, bfUnit(item), e.weight, e.occurredAt!, opts.alpha, opts.multi);
    else bfDislike(u.interests, bfUnit(item), e.weight, opts.beta, opts.multi);
  }
  if (e.type === 'VIEW') {
    u.recent.push(e.itemId);
    if (u.recent.length > opts.recentViews) u.recent.shift();
    touch(u.seen, e.itemId, opts.seenCap);
    if (u.vector === null) {
      u.vector = unit(item);
      return;
    }
    const a = Math.min(1, Math.max(0, opts.alpha * e.weight));
    u.vector = combine(item, a / itemNorm, u.vector, 1 - a) ?? u.vector;
  } else {
    touch(u.disliked, e.itemId, opts.seenCap);
    if (u.vector !== null) u.vector = combine(u.vector, 1, item, (-opts.beta * e.weight) / itemNorm) ?? u.vector;
  }
}
