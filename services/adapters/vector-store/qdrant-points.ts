/**
 * How our points map onto Qdrant's: string ids become UUIDv5 point ids (Qdrant accepts only
 * unsigned integers and UUIDs) with the original id kept in the payload under RESERVED_PAYLOAD_KEY,
 * and a validated request's filter and exclusions become one Qdrant filter.
 */
import { createHash } from 'node:crypto';
import type { Schemas } from '@qdrant/js-client-rest';
import type { SearchRequest, VectorPoint, VersionKeys } from '../../domain/ports/index.js';
import { RESERVED_PAYLOAD_KEY } from '../../domain/filter.js';
import { toQdrantConditions } from './qdrant-filter.js';
import { compactVector, type QdrantPointBody } from './qdrant-wire.js';

/** Namespace of the UUIDv5 point ids (fixed forever: changing it orphans every stored point). */
export const POINT_ID_NAMESPACE = 'a4f6c1d2-5b3e-4f7a-9c8d-1e2f3a4b5c6d';

/** RFC 4122 version-5 UUID (SHA-1 of namespace bytes + UTF-8 name, version and variant bits set). */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Qdrant accepts only unsigned integers and UUIDs as point ids; a string id maps to one UUID, always the same. */
export function qdrantPointId(id: string): string {
  return uuidV5(id, POINT_ID_NAMESPACE);
}

type QdrantFilter = Schemas['Filter'];

/** The Qdrant filter for a validated request: payload conditions must hold, excluded ids must not. */
export function toQdrantFilter(request: Pick<SearchRequest, 'filter' | 'excludeIds'>): QdrantFilter | undefined {
  const must = request.filter ? toQdrantConditions(request.filter) : [];
  const excluded = request.excludeIds ?? [];
  const mustNot = excluded.length > 0 ? [{ has_id: excluded.map(qdrantPointId) }] : [];
  if (must.length === 0 && mustNot.length === 0) return undefined;
  return { ...(must.length > 0 ? { must } : {}), ...(mustNot.length > 0 ? { must_not: mustNot } : {}) };
}

/**
 * `value` with every BigInt turned back into the number it was written as (the same object when
 * there is none). Where JSON.parse hands revivers the source text (Node 22 and later: production
 * runs Node 24), the REST client revives integers beyond 2^53 as BigInt, which a payload never
 * holds on the other engine and which JSON.stringify refuses further down the line.
 */
export function withoutBigInts(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'object' || value === null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, v] of Object.entries(value)) {
    const plain = withoutBigInts(v);
    if (plain === v) continue;
    copy ??= (Array.isArray(value) ? [...(value as unknown[])] : { ...value }) as Record<string, unknown>;
    copy[key] = plain;
  }
  return copy ?? value;
}

/** A stored payload split into the original id and the caller's payload (numbers as written). */
export function stripReserved(payload: Record<string, unknown> | null | undefined): { id: unknown; payload: Record<string, unknown> } {
  const { [RESERVED_PAYLOAD_KEY]: id, ...rest } = payload ?? {};
  return { id, payload: withoutBigInts(rest) as Record<string, unknown> };
}

/** The version a stored payload carries under `keys`, or undefined when it has none. */
export function storedVersion(payload: Record<string, unknown> | undefined, keys: VersionKeys): { stream: number; position: number } | undefined {
  const stream = payload?.[keys.stream];
  const position = payload?.[keys.position];
  return typeof stream === 'number' && typeof position === 'number' ? { stream, position } : undefined;
}

/** The REST body of one point: UUID id, compact vector, original id kept in the payload. */
export function toPointBody(p: VectorPoint): QdrantPointBody {
  return { id: qdrantPointId(p.id), vector: compactVector(p.vector), payload: { ...p.payload, [RESERVED_PAYLOAD_KEY]: p.id } };
}
