/** QDRANT_PAYLOAD_INDEXES: which payload fields get an index in the vector store, and of what type. */

/** The payload index types a filter field can have (docs/filters.md: eq / in / range). */
export const PAYLOAD_INDEX_TYPES = ['keyword', 'integer', 'float', 'bool'] as const;
export type PayloadIndexType = (typeof PAYLOAD_INDEX_TYPES)[number];

export interface PayloadIndexSpec {
  readonly field: string;
  readonly type: PayloadIndexType;
}

/** Parses `category:keyword,year:integer`; returns the specs and the problems found. */
export function parsePayloadIndexes(spec: string): { indexes: PayloadIndexSpec[]; problems: string[] } {
  const indexes: PayloadIndexSpec[] = [];
  const problems: string[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const [field, type, ...rest] = part.split(':');
    if (field === undefined || !/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/.test(field) || rest.length > 0) {
      problems.push(`QDRANT_PAYLOAD_INDEXES: ${JSON.stringify(part)} is not field:type`);
    } else if (!(PAYLOAD_INDEX_TYPES as readonly string[]).includes(type ?? '')) {
      problems.push(`QDRANT_PAYLOAD_INDEXES: ${JSON.stringify(part)}: type must be one of ${PAYLOAD_INDEX_TYPES.join(', ')}`);
    } else {
      indexes.push({ field, type: type as PayloadIndexType });
    }
  }
  return { indexes, problems };
}

