/**
 * Input checks shared by HTTP and gRPC, so that both answer the same bad request with the same
 * message. Every failure is INVALID_INPUT with `details.field` naming the offending field.
 */
import { InterestStreamError } from '../domain/errors.js';
import { idProblem } from '../domain/ids.js';
import { decodeToken, type ConsistencyToken } from '../core/consistency-token.js';

export const STRATEGIES = ['ema', 'average', 'trend', 'hybrid', 'multi'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const EXCLUSIONS = ['seen', 'disliked'] as const;
export type Exclusion = (typeof EXCLUSIONS)[number];

export const DEFAULT_LIMIT = 20;
export { MAX_ID_LENGTH } from '../domain/ids.js';

/** Which of the user's lists to exclude from results. */
export interface ExcludeSet {
  readonly seen: boolean;
  readonly disliked: boolean;
}

export const DEFAULT_EXCLUDE: ExcludeSet = Object.freeze({ seen: true, disliked: true });

/** An INVALID_INPUT error naming the field (the API answers 400 / INVALID_ARGUMENT). */
export function invalidField(field: string, message: string): InterestStreamError {
  return new InterestStreamError('INVALID_INPUT', message, { details: { field } });
}

/** The field an INVALID_INPUT error names, if any. */
export function errorField(e: InterestStreamError): string | undefined {
  const f = e.details.field;
  return typeof f === 'string' ? f : undefined;
}

/** A user or item id under the one id rule (services/domain/ids.ts); the error names `field`. */
export function parseId(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidField(field, `${field} is required`);
  const problem = idProblem(value);
  if (problem !== undefined) throw invalidField(field, `${field} ${problem}`);
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An erasure id, as `DELETE /v1/users/{id}` returns it: a lowercase UUID. */
export function parseErasureId(value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw invalidField('erasureId', `erasureId must be the UUID a DELETE /v1/users/{userId} returned, got ${JSON.stringify(String(value ?? ''))}`);
  }
  return value;
}

/** `limit`: absent means `fallback` (DEFAULT_LIMIT capped at maxLimit); otherwise an integer 1..maxLimit (`limit=` is not absent: 400). */
export function parseLimit(value: string | number | undefined, maxLimit: number, fallback: number = Math.min(DEFAULT_LIMIT, maxLimit)): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > maxLimit) {
    throw invalidField('limit', `limit must be an integer from 1 to ${maxLimit}, got ${JSON.stringify(String(value))}`);
  }
  return n;
}

/** The caps on `limit`: MAX_LIMIT for items, HISTORY_SIZE for snapshots. */
export interface Limits {
  readonly maxLimit: number;
  readonly historySize: number;
}

/** `limit` of the history: absent means all HISTORY_SIZE snapshots kept; otherwise an integer 1..HISTORY_SIZE. */
export function parseHistoryLimit(value: string | number | undefined, historySize: number): number {
  return parseLimit(value, historySize, historySize);
}

/** `strategy`: absent means `ema`. */
export function parseStrategy(value: string | undefined): Strategy {
  if (value === undefined) return 'ema';
  if (!(STRATEGIES as readonly string[]).includes(value)) {
    throw invalidField('strategy', `strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as Strategy;
}

/**
 * `exclude`: absent means seen and disliked. Otherwise the exact list to exclude; `none` excludes
 * nothing. Leaving `disliked` out of an explicit list is the only way to get disliked items back.
 */
export function parseExclude(values: readonly string[] | undefined): ExcludeSet {
  if (values === undefined) return DEFAULT_EXCLUDE;
  const parts = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
  if (parts.length === 1 && parts[0] === 'none') return { seen: false, disliked: false };
  const bad = parts.find((p) => !(EXCLUSIONS as readonly string[]).includes(p));
  if (bad !== undefined) {
    throw invalidField('exclude', `exclude takes a comma list of ${EXCLUSIONS.join(', ')} (or none), got ${JSON.stringify(bad)}`);
  }
  return { seen: parts.includes('seen'), disliked: parts.includes('disliked') };
}

/** `include` of the interest route: only `vector` exists. */
export function parseIncludeVector(value: string | undefined): boolean {
  if (value === undefined) return false;
  const parts = value.split(',').map((v) => v.trim());
  const bad = parts.find((p) => p !== 'vector');
  if (bad !== undefined) throw invalidField('include', `include takes only "vector", got ${JSON.stringify(bad)}`);
  return true;
}

/**
 * Rejects query parameters a route does not know and parameters given twice, so that a typo
 * (`limt=5`) is an error instead of silently using the default.
 */
export function checkQueryParams(query: Record<string, unknown>, known: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!known.includes(name)) {
      throw invalidField(name, `unknown query parameter "${name}"${known.length > 0 ? ` (this route takes ${known.join(', ')})` : ''}`);
    }
    if (typeof value !== 'string') throw invalidField(name, `query parameter "${name}" may be given only once`);
    out[name] = value;
  }
  return out;
}

/** `after`: a consistency token (read-your-writes); absent means none. A malformed one is a 400 naming `after`. */
export function parseAfter(value: string | undefined): ConsistencyToken | undefined {
  return value === undefined ? undefined : decodeToken(value, 'after');
}
