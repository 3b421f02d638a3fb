/**
 * Why an item was recommended, without a language model: which of the user's recent views it is
 * closest to, weighted by how much each view still counts in the EMA interest vector.
 */
import { cosine } from './vector.js';

export interface Contribution {
  readonly itemId: string;
  readonly cosine: number;
  /** The view's weight in the interest vector: α(1 − α)^age, age 0 for the newest view. */
  readonly weight: number;
  /** cosine × weight. */
  readonly contribution: number;
}

/**
 * The `top` recent views that contributed most to recommending `item`, largest contribution first.
 * `recent` is oldest first (as the user state keeps it). The EMA weight is that of a view `age`
 * views ago; dislikes and event weights are not in it (the recent-views list does not keep them).
 */
export function explainItem(item: Float32Array, recent: ReadonlyArray<{ id: string; vector: Float32Array }>, alpha: number, top = 3): Contribution[] {
  return recent
    .map((view, i) => {
      const age = recent.length - 1 - i;
      const weight = alpha * (1 - alpha) ** age;
      const cos = cosine(item, view.vector);
      return { itemId: view.id, cosine: cos, weight, contribution: cos * weight };
    })
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, top);
}
