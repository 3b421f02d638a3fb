/** The filter language (domain/filter.ts) in Qdrant's terms. */
import type { Schemas } from '@qdrant/js-client-rest';
import type { Filter, PayloadScalar } from '../../domain/filter.js';

type QdrantCondition = Schemas['Condition'];

/**
 * Equality in Qdrant's terms. Qdrant matches by value only strings, booleans and 64-bit integers
 * (a fractional `match.value` is refused with a 400); other numbers become a one-point range so
 * that `eq: 2.5` means the same on both engines.
 */
export function qdrantEq(key: string, value: PayloadScalar): QdrantCondition {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) return { key, range: { gte: value, lte: value } };
  return { key, match: { value } };
}

function qdrantIn(key: string, values: readonly PayloadScalar[]): QdrantCondition {
  if (values.every((v) => typeof v === 'string')) return { key, match: { any: [...values] as string[] } };
  if (values.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) return { key, match: { any: [...values] as number[] } };
  // Match-any takes only all-string or all-integer lists; a mixed list is a disjunction of equalities.
  return { should: values.map((v) => qdrantEq(key, v)) };
}

/** Translates a validated filter into Qdrant conditions (all must hold). */
export function toQdrantConditions(filter: Filter): QdrantCondition[] {
  return filter.must.map((c) => {
    if ('eq' in c) return qdrantEq(c.key, c.eq);
    if ('in' in c) return qdrantIn(c.key, c.in);
    return { key: c.key, range: { ...c.range } };
  });
}
