import type { MultiInterestParams } from '../../domain/multi-interest.js';
import type { FoldParams } from '../../domain/types.js';
import type { Reader } from './reader.js';

/**
 * The fold's parameters (services/domain/fold.ts: FoldParams but the catalogue's dimension): how
 * ingest turns events into a user's state.
 *
 * FOLD_ALPHA (`alpha`): EMA weight of a view, in (0, 1]. Default 0.2.
 * FOLD_BETA (`beta`): strength of a dislike, > 0. Default 0.5.
 * RECENT_VIEWS (`recentViews`): how many last viewed item ids to keep (the `average` strategy). Default 10.
 * SEEN_CAP (`seenCap`): how many recently seen item ids to keep for exclusion. Default 500.
 * DISLIKED_CAP (`dislikedCap`): how many disliked item ids to keep for exclusion. Default 500.
 * DEDUPE_WINDOW (`dedupeWindow`): how many of a user's last event ids are remembered to drop duplicates. Default 1000.
 */
export interface FoldSettings extends Omit<FoldParams, 'dimension' | 'multi'> {
  /**
   * The multi-interest settings (strategy=multi, services/domain/multi-interest.ts). Ingest keeps the
   * interests up to date in every user's state; the query service serves them. Defaults and the
   * evidence for them: docs/quality.md.
   *
   * MULTI_INTERESTS: k, the most interest vectors a user has (0 keeps none: states are then written in
   * the format a version without multi-interest reads, and `strategy=multi` answers as ema with
   * fallback `insufficient_history`). Default 3.
   *
   * MULTI_THRESHOLD: a view joins its nearest interest when their cosine is at least this, else it
   * opens a new interest (or replaces the least important one). 0..1. Default 0.5.
   *
   * MULTI_HALF_LIFE_MS: half-life of an interest's importance in event time; what decides the quotas of
   * the answer and which interest a new taste replaces. Default 3600000 (1 hour; docs/quality.md).
   */
  readonly multi: MultiInterestParams;
}

export function readFoldSettings(r: Reader): FoldSettings {
  return {
    alpha: r.num('FOLD_ALPHA', 0.2, (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
    beta: r.num('FOLD_BETA', 0.5, (n) => n > 0, 'a number above 0'),
    recentViews: r.int('RECENT_VIEWS', 10, 1, 1000),
    seenCap: r.int('SEEN_CAP', 500, 0, 100_000),
    dislikedCap: r.int('DISLIKED_CAP', 500, 0, 100_000),
    dedupeWindow: r.int('DEDUPE_WINDOW', 1000, 0, 100_000),
    multi: {
      maxInterests: r.int('MULTI_INTERESTS', 3, 0, 32),
      threshold: r.num('MULTI_THRESHOLD', 0.5, (n) => n >= 0 && n <= 1, 'a number from 0 to 1'),
      halfLifeMs: r.int('MULTI_HALF_LIFE_MS', 3_600_000, 1),
    },
  };
}
