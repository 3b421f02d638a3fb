/**
 * The filter language (docs/filters.md) and the input checks both vector-store adapters share, so
 * that a bad request fails the same way, with the same message, whichever engine is behind the port.
 * Domain rules: the query service matches payloads with `matchesFilter` too; the Qdrant translation
 * is adapters/vector-store/qdrant-filter.ts.
 */
import { InterestStreamError } from './errors.js';
import type { SearchRequest, VectorPoint } from './ports/index.js';

/** A payload value the filter language can match. */
export type PayloadScalar = string | number | boolean;

/**
 * The filter language over item payloads (documented in docs/filters.md). All conditions must hold.
 * - `{ key, eq }`: payload[key] equals the value.
 * - `{ key, in }`: payload[key] equals one of the values.
 * - `{ key, range }`: payload[key] is a number within the bounds given.
 */
export type FilterCondition =
  | { readonly key: string; readonly eq: PayloadScalar }
  | { readonly key: string; readonly in: readonly PayloadScalar[] }
  | { readonly key: string; readonly range: { readonly gt?: number; readonly gte?: number; readonly lt?: number; readonly lte?: number } };

export interface Filter {
  readonly must: readonly FilterCondition[];
}

/** Payload key the Qdrant adapter keeps the original string id under; callers may not use it. */
export const RESERVED_PAYLOAD_KEY = '__id';

/** Most conditions in one filter and most values in one `in` list. */
export const MAX_CONDITIONS = 64;
export const MAX_IN_VALUES = 1024;
/** Most ids one search may exclude (seen + disliked + the query item, with room to spare). */
export const MAX_EXCLUDED_IDS = 10_000;
export const MAX_LIMIT = 10_000;

// Top-level keys only: Qdrant reads `.` and `[]` as a path into nested objects, LanceDB does not.
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const COLLECTION_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const RANGE_BOUNDS = ['gt', 'gte', 'lt', 'lte'] as const;

type Range = { gt?: number; gte?: number; lt?: number; lte?: number };

function invalid(message: string): InterestStreamError {
  return new InterestStreamError('INVALID_INPUT', message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is PayloadScalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function checkRange(where: string, range: unknown): Range {
  if (!isRecord(range)) throw invalid(`${where}: range must be an object with gt, gte, lt or lte`);
  const unknownBound = Object.keys(range).find((b) => !(RANGE_BOUNDS as readonly string[]).includes(b));
  if (unknownBound !== undefined) throw invalid(`${where}: unknown range bound "${unknownBound}" (use gt, gte, lt, lte)`);
  const out: Range = {};
  for (const b of RANGE_BOUNDS) {
    const v = range[b];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${where}: range.${b} must be a finite number`);
    out[b] = v;
  }
  if (Object.keys(out).length === 0) throw invalid(`${where}: range needs at least one of gt, gte, lt, lte`);
  if (out.gt !== undefined && out.gte !== undefined) throw invalid(`${where}: range has both gt and gte`);
  if (out.lt !== undefined && out.lte !== undefined) throw invalid(`${where}: range has both lt and lte`);
  const lower = out.gt ?? out.gte;
  const upper = out.lt ?? out.lte;
  if (lower !== undefined && upper !== undefined) {
    const open = out.gt !== undefined || out.lt !== undefined;
    if (lower > upper || (lower === upper && open)) throw invalid(`${where}: range is empty (no number lies within it)`);
  }
  return out;
}

function checkCondition(c: unknown, index: number): FilterCondition {
  if (!isRecord(c)) throw invalid(`filter.must[${index}]: must be an object with key and one of eq, in, range`);
  const key = c.key;
  if (typeof key !== 'string' || !KEY_RE.test(key)) {
    throw invalid(`filter.must[${index}]: key ${JSON.stringify(key)} must be a top-level payload key (letters, digits, _ and -)`);
  }
  const where = `filter key "${key}"`;
  if (key === RESERVED_PAYLOAD_KEY) throw invalid(`${where}: the key is reserved`);
  const ops = (['eq', 'in', 'range'] as const).filter((op) => c[op] !== undefined);
  const extra = Object.keys(c).filter((k) => k !== 'key' && !['eq', 'in', 'range'].includes(k));
  if (ops.length !== 1 || extra.length > 0) {
    throw invalid(`${where}: needs exactly one of eq, in, range${extra.length > 0 ? ` (unknown field "${extra[0]}")` : ''}`);
  }
  if (ops[0] === 'eq') {
    if (!isScalar(c.eq)) throw invalid(`${where}: eq must be a string, a finite number or a boolean`);
    return { key, eq: c.eq };
  }
  if (ops[0] === 'in') {
    const values = c.in;
    if (!Array.isArray(values) || values.length === 0) throw invalid(`${where}: in must be a non-empty array`);
    if (values.length > MAX_IN_VALUES) throw invalid(`${where}: in lists ${values.length} values, at most ${MAX_IN_VALUES} allowed`);
    if (!values.every(isScalar)) throw invalid(`${where}: every value of in must be a string, a finite number or a boolean`);
    return { key, in: [...values] };
  }
  return { key, range: checkRange(where, c.range) };
}

/**
 * Checks a filter from the outside world and returns a clean copy; throws INVALID_INPUT naming the
 * key and the problem. `undefined` (no filter) passes through.
 */
export function validateFilter(filter: unknown): Filter | undefined {
  if (filter === undefined) return undefined;
  if (!isRecord(filter) || !Array.isArray(filter.must)) throw invalid('filter must be an object { must: [conditions] }');
  if (filter.must.length > MAX_CONDITIONS) throw invalid(`filter has ${filter.must.length} conditions, at most ${MAX_CONDITIONS} allowed`);
  return { must: filter.must.map((c, i) => checkCondition(c, i)) };
}

function holds(c: FilterCondition, value: unknown): boolean {
  if ('eq' in c) return value === c.eq;
  if ('in' in c) return c.in.some((v) => v === value);
  if (typeof value !== 'number') return false;
  const r = c.range;
  return (r.gt === undefined || value > r.gt) && (r.gte === undefined || value >= r.gte) && (r.lt === undefined || value < r.lt) && (r.lte === undefined || value <= r.lte);
}

/**
 * Whether a payload satisfies every condition. Like Qdrant, a condition on a key holding an array
 * holds when any element satisfies it; a missing key satisfies nothing.
 */
export function matchesFilter(payload: Readonly<Record<string, unknown>>, filter: Filter): boolean {
  return filter.must.every((c) => {
    if (!Object.hasOwn(payload, c.key)) return false;
    const value = payload[c.key];
    return Array.isArray(value) ? value.some((v) => holds(c, v)) : holds(c, value);
  });
}

/** Throws INVALID_INPUT unless the name is usable as a table (LanceDB) and a collection (Qdrant). */
export function validateCollectionName(name: string): void {
  if (typeof name !== 'string' || !COLLECTION_RE.test(name)) {
    throw invalid(`collection name ${JSON.stringify(name)} must be 1-128 letters, digits, _ or -, starting with a letter or digit`);
  }
}

export function validateDimension(dimension: number): void {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 65_536) {
    throw invalid(`dimension ${dimension} must be an integer from 1 to 65536`);
  }
}

/** Throws INVALID_INPUT unless `ids` is an array of non-empty strings. */
export function validateIds(ids: readonly string[], what = 'ids'): void {
  if (!Array.isArray(ids)) throw invalid(`${what} must be an array of strings`);
  const bad = ids.find((id) => typeof id !== 'string' || id.length === 0);
  if (bad !== undefined) throw invalid(`${what}: ${JSON.stringify(bad)} is not a non-empty string`);
}

function checkVector(vector: unknown, what: string): Float32Array {
  if (!(vector instanceof Float32Array)) throw new InterestStreamError('INVALID_VECTOR', `${what}: vector must be a Float32Array`);
  if (!vector.every(Number.isFinite)) throw new InterestStreamError('INVALID_VECTOR', `${what}: vector has a non-finite component`);
  return vector;
}

function checkPoint(p: VectorPoint): void {
  validateIds([p.id], 'point id');
  const what = `point "${p.id}"`;
  checkVector(p.vector, what);
  if (!isRecord(p.payload)) throw invalid(`${what}: payload must be a JSON object`);
  if (Object.hasOwn(p.payload, RESERVED_PAYLOAD_KEY)) throw invalid(`${what}: payload key "${RESERVED_PAYLOAD_KEY}" is reserved`);
}

/**
 * Checks points before a write and keeps the last point of each id, so that an upsert naming one id
 * twice behaves the same on every engine (LanceDB's merge is undefined on duplicate source rows).
 */
export function preparePoints(points: readonly VectorPoint[]): VectorPoint[] {
  if (!Array.isArray(points)) throw invalid('points must be an array');
  const byId = new Map<string, VectorPoint>();
  for (const p of points) {
    checkPoint(p);
    byId.delete(p.id);
    byId.set(p.id, p);
  }
  return [...byId.values()];
}

/** DIMENSION_MISMATCH naming the first point whose vector does not have the collection's size. */
export function checkPointDimensions(collection: string, dimension: number, points: readonly VectorPoint[]): void {
  const bad = points.find((p) => p.vector.length !== dimension);
  if (bad === undefined) return;
  throw new InterestStreamError(
    'DIMENSION_MISMATCH',
    `point "${bad.id}" has a vector of ${bad.vector.length} components; collection "${collection}" holds ${dimension}`,
    { details: { collection, id: bad.id, expected: dimension, actual: bad.vector.length } },
  );
}

/** Checks a search request (filter included) before any engine is asked; returns a clean copy. */
export function validateSearchRequest(request: SearchRequest): SearchRequest & { readonly excludeIds: readonly string[] } {
  if (!isRecord(request)) throw invalid('search request must be an object');
  const vector = checkVector(request.vector, 'search');
  if (vector.every((x) => x === 0)) throw new InterestStreamError('INVALID_VECTOR', 'search: the query vector is all zeros (no direction)');
  const { limit } = request;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalid(`search: limit ${limit} must be an integer from 1 to ${MAX_LIMIT}`);
  const excludeIds = request.excludeIds ?? [];
  validateIds(excludeIds, 'search: excludeIds');
  if (excludeIds.length > MAX_EXCLUDED_IDS) throw invalid(`search: ${excludeIds.length} excluded ids, at most ${MAX_EXCLUDED_IDS} allowed`);
  return { vector, limit, excludeIds, filter: validateFilter(request.filter) };
}

/** DIMENSION_MISMATCH for a query vector of the wrong size. */
export function checkQueryDimension(collection: string, dimension: number, vector: Float32Array): void {
  if (vector.length === dimension) return;
  throw new InterestStreamError('DIMENSION_MISMATCH', `search vector has ${vector.length} components; collection "${collection}" holds ${dimension}`, {
    details: { collection, expected: dimension, actual: vector.length },
  });
}
