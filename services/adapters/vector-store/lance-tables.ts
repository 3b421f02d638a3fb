/**
 * The embedded store's LanceDB tables: their schema, the SQL and error translation around them, and
 * how an opened table is described to the store.
 */
import { randomUUID } from 'node:crypto';
import type { Connection, CreateTableOptions, Table } from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Float64, Schema, Utf8 } from 'apache-arrow';
import { InterestStreamError, isInterestStreamError } from '../../domain/errors.js';

/** A table as the store uses it. `versioned`: it has the version columns (tables made before them get them on the first conditional upsert). */
export interface Opened {
  readonly name: string;
  readonly table: Table;
  readonly dimension: number;
  readonly versioned: boolean;
  /**
   * Set on tables made with stable row ids, whose rows carry `_row_last_updated_at_version` (a saved
   * ANN index can then be patched): a random id given at creation, so that a table dropped and made
   * again under the same name is told apart.
   */
  readonly tableId: string | undefined;
}

export type Row = { id: string; payload: string; vector?: { toArray(): Float32Array }; _distance?: number };

/**
 * A point's version for conditional upserts, in columns because LanceDB's SQL cannot read inside the
 * JSON payload. Null on points written unconditionally (items); a table made before these columns
 * existed gets them (addColumns, all null) on its first conditional upsert, so readers never write.
 */
const VERSION_FIELDS = [new Field('v_stream', new Float64(), true), new Field('v_pos', new Float64(), true)];

/** The merge condition of a conditional upsert: replace unless the stored point is newer. */
export const REPLACE_UNLESS_NEWER = 'target.v_stream IS NULL OR target.v_stream <> source.v_stream OR target.v_pos <= source.v_pos';

/** Schema metadata: the table's id, on tables made with stable row ids (LanceDB does not say so itself; older tables lack it). */
const TABLE_ID_KEY = 'interest-stream.table-id';

export function tableSchema(dimension: number): Schema {
  const fields = [
    new Field('id', new Utf8(), false),
    new Field('vector', new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
    new Field('payload', new Utf8(), false),
    ...VERSION_FIELDS,
  ];
  return new Schema(fields, new Map([[TABLE_ID_KEY, randomUUID()]]));
}

/** How new tables are made: `existOk` covers another process creating it at the same moment; stable row ids give every row the version that last wrote it. */
export const CREATE_OPTIONS: Partial<CreateTableOptions> = { mode: 'create', existOk: true, storageOptions: { new_table_enable_stable_row_ids: 'true' } };

/** Another process may add them at the same moment: losing that race is fine. */
export async function addVersionColumns(table: Table): Promise<void> {
  try {
    await table.addColumns(VERSION_FIELDS.map((f) => ({ name: f.name, valueSql: 'CAST(NULL AS DOUBLE)' })));
  } catch (e) {
    if (!/already exists|conflict/i.test(e instanceof Error ? e.message : String(e))) throw e;
  }
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export function idIn(ids: readonly string[]): string {
  return `id IN (${ids.map(sqlString).join(', ')})`;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof Error && /was not found|not found:/i.test(e.message);
}

/** Library errors become coded ones: commit conflicts retry, I/O failures mean the store is unavailable. */
export function translate(e: unknown, what: string): InterestStreamError {
  if (isInterestStreamError(e)) return e;
  const message = e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e);
  const code = /conflict/i.test(message)
    ? 'CONFLICT'
    : /os error|i\/o|permission denied|no space|connection is closed/i.test(message)
      ? 'STORE_UNAVAILABLE'
      : 'INTERNAL';
  return new InterestStreamError(code, `embedded vector store: ${what}: ${message}`, { cause: e });
}

/** The table `name` described, or undefined when it does not exist. */
export async function openTable(conn: Connection, name: string): Promise<Opened | undefined> {
  try {
    const table = await conn.openTable(name);
    const schema = await table.schema();
    const field = schema.fields.find((f) => f.name === 'vector');
    return {
      name,
      table,
      dimension: (field?.type as FixedSizeList).listSize,
      versioned: schema.fields.some((f) => f.name === 'v_stream'),
      tableId: schema.metadata.get(TABLE_ID_KEY),
    };
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw translate(e, `open ${name}`);
  }
}
