/**
 * The multi-interest settings (strategy=multi, services/domain/multi-interest.ts), read with the rest
 * of the configuration by loadConfig. Ingest keeps the interests up to date in every user's state;
 * the query service serves them. Defaults and the evidence for them: docs/quality.md.
 */
import type { MultiInterestParams } from '../domain/multi-interest.js';

/** The part of config.ts' reader this module needs. */
interface NumberReader {
  int(name: string, def: number, min: number, max?: number): number;
  num(name: string, def: number, check: (n: number) => boolean, rule: string): number;
}

/**
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
export function readMultiInterestConfig(r: NumberReader): MultiInterestParams {
  return {
    maxInterests: r.int('MULTI_INTERESTS', 3, 0, 32),
    threshold: r.num('MULTI_THRESHOLD', 0.5, (n) => n >= 0 && n <= 1, 'a number from 0 to 1'),
    halfLifeMs: r.int('MULTI_HALF_LIFE_MS', 3_600_000, 1),
  };
}
