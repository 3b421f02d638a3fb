/**
 * A plain, independent fold of the architecture's rules in float64, written for the tests only
 * (it shares no code with services/domain), to check ingest end to end.
 */
export interface RefEvent {
  readonly eventId: string;
  readonly userId: string;
  readonly itemId: string;
  readonly type: 'VIEW' | 'DISLIKE' | 'ERASE';
  readonly weight: number;
}

export interface RefState {
  vector: number[] | null;
  eventCount: number;
}

function unit(v: ArrayLike<number>): number[] | null {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  return n < 1e-6 ? null : Array.from(v, (x) => x / n);
}

export function referenceFold(events: readonly RefEvent[], items: ReadonlyMap<string, Float32Array>, alpha = 0.2, beta = 0.5): Map<string, RefState> {
  const out = new Map<string, RefState>();
  for (const e of events) {
    const s = out.get(e.userId) ?? { vector: null, eventCount: 0 };
    out.set(e.userId, s);
    if (e.type === 'ERASE') {
      s.vector = null;
      s.eventCount = 0;
      continue;
    }
    const item = unit(items.get(e.itemId)!)!;
    s.eventCount++;
    if (s.vector === null) {
      if (e.type === 'VIEW') s.vector = item;
      continue;
    }
    const v = s.vector;
    const next =
      e.type === 'VIEW'
        ? v.map((x, i) => {
            const a = Math.min(Math.max(alpha * e.weight, 0), 1);
            return a * item[i]! + (1 - a) * x;
          })
        : v.map((x, i) => x - beta * e.weight * item[i]!);
    s.vector = unit(next) ?? v;
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
