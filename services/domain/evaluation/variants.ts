/**
 * The strategies `evaluate` compares, expanded from parameter grids: every (α, β) pair is one fold
 * of every user (the same fold code as ingest), and the strategies read those folds.
 */
import { InterestStreamError } from '../errors.js';
import type { MultiInterestParams } from '../multi-interest.js';

export const EVALUATED_STRATEGIES = ['ema', 'average', 'last', 'trend', 'popularity', 'hybrid', 'multi'] as const;
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
  /** Grids of `multi`: k (MULTI_INTERESTS), MULTI_THRESHOLD and MULTI_HALF_LIFE_MS; needed when `multi` is evaluated. */
  readonly multi?: { readonly interests: readonly number[]; readonly threshold: readonly number[]; readonly halfLifeMs: readonly number[] };
  readonly k: number;
}

export interface FoldVariant {
  readonly alpha: number;
  readonly beta: number;
  /** Only the folds `multi` reads keep interests (the others need not pay for them). */
  readonly multi?: MultiInterestParams;
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
  readonly interests?: number;
  readonly threshold?: number;
  readonly halfLifeMs?: number;
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
  if (grid.strategies.includes('multi')) variants.push(...multiVariants(grid, folds));
  // MMR over multi's merged pool is served, but not modelled here.
  const diverse = (grid.diversity ?? [0]).filter((d) => d > 0).flatMap((d) => variants.filter((v) => v.strategy !== 'multi').map((v) => ({ ...v, name: `${v.name}+mmr(${d})`, diversity: d })));
  return { folds, variants: [...(grid.diversity ?? [0]).includes(0) ? variants : [], ...diverse] };
}

/** One fold (appended to `folds`) and one variant per (α, β) and multi-interest setting. */
function multiVariants(grid: EvaluationGrid, folds: FoldVariant[]): Variant[] {
  const m = grid.multi!;
  const out: Variant[] = [];
  for (const { alpha, beta } of folds.slice()) {
    for (const interests of m.interests) {
      for (const threshold of m.threshold) {
        for (const halfLifeMs of m.halfLifeMs) {
          folds.push({ alpha, beta, multi: { maxInterests: interests, threshold, halfLifeMs } });
          const name = `multi(α=${alpha},β=${beta},k=${interests},τ=${threshold},h=${duration(halfLifeMs)})`;
          out.push({ name, strategy: 'multi', fold: folds.length - 1, alpha, beta, interests, threshold, halfLifeMs });
        }
      }
    }
  }
  return out;
}

/** A half-life in the largest whole unit: 7d, 1h, 20s, 1500ms. */
function duration(ms: number): string {
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]];
  const unit = units.find(([, size]) => ms % size === 0);
  return unit === undefined ? `${ms}ms` : `${ms / unit[1]}${unit[0]}`;
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
  if (grid.strategies.includes('multi')) {
    if (grid.multi === undefined) problems.push('multi needs its interests, threshold and half-life grids');
    else {
      list('interests', grid.multi.interests, (n) => Number.isInteger(n) && n >= 1 && n <= 32, 'an integer from 1 to 32');
      list('threshold', grid.multi.threshold, (n) => n >= 0 && n <= 1, 'in [0, 1]');
      list('half-life', grid.multi.halfLifeMs, (n) => n > 0, '> 0');
    }
  }
  if (!(Number.isInteger(grid.k) && grid.k >= 1)) problems.push(`k ${grid.k} must be a positive integer`);
  if (grid.strategies.length === 0) problems.push('strategies needs at least one value');
  if (problems.length > 0) throw new InterestStreamError('INVALID_INPUT', `invalid evaluation grid: ${problems.join('; ')}`);
}
