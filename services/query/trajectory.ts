/**
 * A user's interest trajectory for the /ui page: per snapshot window, how far the interest moved
 * since the previous window (1 − cosine) and which catalogue categories lie nearest to it (the
 * categories of the 20 nearest items, by share). Read from the same history as /history.
 */
import type { VectorStore } from '../domain/ports/index.js';
import { cosine } from '../domain/vector.js';
import type { QueryUseCases } from './use-cases.js';

/** Items whose categories describe one window's interest. */
const NEAREST = 20;

export interface TrajectoryPoint {
  readonly window: number;
  readonly takenAt: number;
  readonly eventCount: number;
  /** 1 − cos(previous window, this window); null for the first. */
  readonly drift: number | null;
  /** Most common first; share = fraction of the nearest items in that category. */
  readonly categories: ReadonlyArray<{ category: string; share: number }>;
}

export interface Trajectory {
  readonly userId: string;
  readonly generation: string;
  readonly points: TrajectoryPoint[];
}

export async function trajectory(deps: { useCases: QueryUseCases; vectors: VectorStore; itemsCollection: string }, userId: string, windows: number): Promise<Trajectory> {
  const history = await deps.useCases.history({ userId, limit: windows, includeVector: true });
  const vectors = history.snapshots.map((s) => Float32Array.from(s.vector ?? []));
  const points = await Promise.all(
    history.snapshots.map(async (s, i): Promise<TrajectoryPoint> => {
      const hits = await deps.vectors.search(deps.itemsCollection, { vector: vectors[i]!, limit: NEAREST });
      return {
        window: s.window,
        takenAt: s.takenAt,
        eventCount: s.eventCount,
        drift: i === 0 ? null : 1 - cosine(vectors[i - 1]!, vectors[i]!),
        categories: categoryShares(hits.map((h) => (typeof h.payload.category === 'string' ? h.payload.category : '?'))),
      };
    }),
  );
  return { userId, generation: history.generation, points };
}

/** Shares of each category among `categories`, most common first (ties by name). */
export function categoryShares(categories: readonly string[]): Array<{ category: string; share: number }> {
  const counts = new Map<string, number>();
  for (const c of categories) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([category, n]) => ({ category, share: n / categories.length }));
}
