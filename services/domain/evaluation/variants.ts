/**
 * The strategies `evaluate` compares, expanded from parameter grids: every (α, β) pair is one fold
 * of every user (the same fold code as ingest), and the strategies read those folds.
 */
import { InterestStreamError } from '../../core/errors.js';

export const EVALUATED_STRATEGIES = ['ema', 'average', 'last', 'trend', 'popularity', 'hybrid'] as const;
export type EvaluatedStrategy = (typeof EVALUATED_STRATEGIES)[number];

export interface EvaluationGrid {
  readonly strategies: readonly EvaluatedStrategy[];
  readonly alpha: readonly number[];
  readonly beta: readonly number[];
  /** γ of the damped trend. */
  readonly momentum: readonly number[];
  /** λ of the popularity blend. */
  readonly lambda: readonly number[];
  /** MMR diversity of the list; every strategy is evaluated once per value (0: the plain ranking). Default [0]. */
  readonly diversity?: readonly number[];
  readonly k: number;
}

export interface FoldVariant {
  readonly alpha: number;
  readonly beta: number;
}

/** One column of the results: a strategy with its parameters. */
export interface Variant {
  readonly name: string;
  readonly strategy: EvaluatedStrategy;
  /** Index into the fold variants: whose vector (ema, trend, hybrid) or fallback (average, last) it reads. */
  readonly fold: number;
  readonly alpha?: number;
  readonly beta?: number;
  readonly momentum?: number;
  readonly lambda?: number;
  /** MMR diversity of the list, when above 0. */
  readonly diversity?: number;
}

/** Every (α, β) fold and every strategy variant of the grid, in a stable order. */
export function expandGrid(grid: EvaluationGrid): { folds: FoldVariant[]; variants: Variant[] } {
  checkGrid(grid);
  const folds = grid.alpha.flatMap((alpha) => grid.beta.map((beta) => ({ alpha, beta })));
  const variants: Variant[] = [];
  const ab = (f: FoldVariant) => `α=${f.alpha},β=${f.beta}`;
  for (const strategy of grid.strategies) {
    if (strategy === 'average' || strategy === 'last' || strategy === 'popularity') {
      variants.push({ name: strategy, strategy, fold: 0 });
      continue;
    }
    folds.forEach((f, fold) => {
      if (strategy === 'ema') variants.push({ name: `ema(${ab(f)})`, strategy, fold, ...f });
      if (strategy === 'trend') for (const momentum of grid.momentum) variants.push({ name: `trend(${ab(f)},γ=${momentum})`, strategy, fold, ...f, momentum });
      if (strategy === 'hybrid') for (const lambda of grid.lambda) variants.push({ name: `hybrid(${ab(f)},λ=${lambda})`, strategy, fold, ...f, lambda });
    });
  }
  const diverse = (grid.diversity ?? [0]).filter((d) => d > 0).flatMap((d) => variants.map((v) => ({ ...v, name: `${v.name}+mmr(${d})`, diversity: d })));
  return { folds, variants: [...(grid.diversity ?? [0]).includes(0) ? variants : [], ...diverse] };
}

function checkGrid(grid: EvaluationGrid): void {
  const problems: string[] = [];
  const list = (name: string, values: readonly number[], ok: (n: number) => boolean, rule: string) => {
    if (values.length === 0) problems.push(`${name} needs at least one value`);
    for (const v of values) if (!(Number.isFinite(v) && ok(v))) problems.push(`${name} ${v} must be ${rule}`);
  };
  list('alpha', grid.alpha, (n) => n > 0 && n <= 1, 'in (0, 1]');
  list('beta', grid.beta, (n) => n >= 0, '>= 0');
  list('momentum', grid.momentum, (n) => n >= 0, '>= 0');
  list('lambda', grid.lambda, (n) => n >= 0, '>= 0');
  list('diversity', grid.diversity ?? [0], (n) => n >= 0 && n <= 1, 'in [0, 1]');
  if (!(Number.isInteger(grid.k) && grid.k >= 1)) problems.push(`k ${grid.k} must be a positive integer`);
  if (grid.strategies.length === 0) problems.push('strategies needs at least one value');
  if (problems.length > 0) throw new InterestStreamError('INVALID_INPUT', `invalid evaluation grid: ${problems.join('; ')}`);
}
