/**
 * Starting from a saved index (index-snapshots.ts) instead of building one: which of the table's
 * rows changed since the saved version, and whether patching them is cheaper than a build.
 *
 * Tables made by this store carry LanceDB's stable row ids, so every row has
 * `_row_last_updated_at_version`, the table version that last wrote it (kept through compaction).
 * A row written after the saved version is patched in; a saved id missing from the table is removed;
 * a row the table has not touched since the saved version must already be in the saved index, or the
 * file does not describe this table and is not used. `diff` is the catch-up without row versions:
 * every row compared with what the index holds.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Table } from '@lancedb/lancedb';
import type { Data, DataType, FixedSizeList, Float32, Utf8, Vector } from 'apache-arrow';
import type { IndexedRow, ItemIndex } from './item-index.js';
import type { SnapshotContent } from './index-snapshots.js';

/** A row with the table version that last wrote it (0 when the table has no row versions). */
export interface VersionedRow extends IndexedRow {
  readonly writtenAt: number;
}

/** The patch that turns a saved index into the table's present rows, or why it cannot. */
export type ResumePlan =
  | {
      readonly ok: true;
      /** By position, as the saved file numbers them (removed ids hold a stand-in until `removals` is applied). */
      readonly rows: Array<IndexedRow | undefined>;
      readonly upserts: readonly IndexedRow[];
      readonly removals: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

const WRITTEN_AT = '_row_last_updated_at_version';

const utf8 = new TextDecoder();

function column<T extends DataType>(batch: { getChild(name: string): Vector | null }, name: string): Vector<T> {
  const found = batch.getChild(name);
  if (found === null) throw new Error(`the table returned no column "${name}"`);
  return found as Vector<T>;
}

/** The strings of a (non-null) Utf8 column, decoded straight from its buffers rather than by a `Vector.get` per row. */
function stringsOf(col: Vector<Utf8>): string[] {
  const out: string[] = [];
  for (const { valueOffsets, values, length } of col.data as Array<Data<Utf8>>) {
    for (let i = 0; i < length; i++) out.push(utf8.decode(values.subarray(valueOffsets[i], valueOffsets[i + 1])));
  }
  return out;
}

/** Each row of a (non-null) fixed-size float32 list column, copied: Arrow's values are views into the batch buffer. */
function vectorsOf(col: Vector<FixedSizeList<Float32>>): Float32Array[] {
  const out: Float32Array[] = [];
  for (const data of col.data as Array<Data<FixedSizeList<Float32>>>) {
    const { values } = data.children[0] as Data<Float32>;
    const d = data.type.listSize;
    for (let i = 0; i < data.length; i++) out.push(values.slice(i * d, (i + 1) * d));
  }
  return out;
}

/** Every row of the table, a record batch at a time with a yield between batches. */
export async function readRows(table: Table, withVersions: boolean): Promise<VersionedRow[]> {
  const rows: VersionedRow[] = [];
  for await (const batch of table.query().select(['id', 'vector', 'payload', ...(withVersions ? [WRITTEN_AT] : [])])) {
    const ids = stringsOf(column(batch, 'id'));
    const vectors = vectorsOf(column(batch, 'vector'));
    const payloads = stringsOf(column(batch, 'payload'));
    const written = withVersions ? column<DataType>(batch, WRITTEN_AT) : undefined;
    for (let i = 0; i < batch.numRows; i++) rows.push({ id: ids[i]!, vector: vectors[i]!, payload: payloads[i]!, writtenAt: Number(written?.get(i) ?? 0) });
    await yieldToLoop();
  }
  return rows;
}

/**
 * Matches the table's rows (read at `tableVersion` or later) against a saved index. Gives up when
 * the table is older than the file (recreated, or restored from a backup), when the file lacks a
 * row the table has not touched since, or when more than `patchLimit` rows changed.
 */
export function planResume(saved: SnapshotContent, tableVersion: number, rows: readonly VersionedRow[], patchLimit: number): ResumePlan {
  if (tableVersion < saved.version) {
    return { ok: false, reason: `the table is at version ${tableVersion}, before the saved index's ${saved.version} (recreated or restored)` };
  }
  const positionOf = new Map<string, number>();
  const slots = saved.keys.map((id, position): IndexedRow | undefined => {
    if (id === null) return undefined;
    positionOf.set(id, position);
    return { id, vector: new Float32Array(0), payload: 'null' };
  });
  const upserts: IndexedRow[] = [];
  for (const r of rows) {
    const position = positionOf.get(r.id);
    if (r.writtenAt > saved.version) upserts.push(r);
    else if (position === undefined) return { ok: false, reason: `row "${r.id}", unchanged since version ${r.writtenAt}, is not in the saved index (the file does not describe this table)` };
    if (position !== undefined) {
      slots[position] = r;
      positionOf.delete(r.id);
    }
  }
  const removals = [...positionOf.keys()];
  const changed = upserts.length + removals.length;
  if (changed > patchLimit) return { ok: false, reason: `${changed} rows changed since the saved version ${saved.version}, more than a patch takes (${patchLimit})` };
  return { ok: true, rows: slots, upserts, removals };
}

function sameVector(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The changes that turn `index` into `rows`. */
export function diff(index: ItemIndex, rows: readonly IndexedRow[]): { upserts: IndexedRow[]; removals: string[] } {
  const upserts: IndexedRow[] = [];
  const present = new Set<string>();
  for (const r of rows) {
    present.add(r.id);
    const old = index.row(r.id);
    if (old === undefined || old.payload !== r.payload || !sameVector(old.vector, r.vector)) upserts.push(r);
  }
  const removals = [...index.ids()].filter((id) => !present.has(id));
  return { upserts, removals };
}
