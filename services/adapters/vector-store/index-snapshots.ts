/**
 * Saved HNSW indexes beside the LanceDB tables, so that a starting process loads one and patches it
 * with the rows changed since instead of building one (~30 s at 100k x 256).
 *
 * Layout, in `<store>/_ann/`:
 * - `<collection>/<uuid>.usearch`: an index file (usearch's own format), written once under a fresh
 *   name and never modified;
 * - `<collection>.json`: the pointer, which names the current file and says what it holds (format,
 *   table id and version, dimension, metric and HNSW parameters, its length and CRC-32, the id at
 *   each position).
 *
 * Several processes (query replicas) may share the directory. A file becomes visible only when the
 * pointer naming it is replaced (temp file + fsync + rename), so a reader sees the old or the new
 * pointer and never a half-written file; the length and CRC-32 are checked before usearch reads the
 * file (usearch trusts its input: a damaged file crashes the process). Two writers at once both
 * write complete files; the last rename wins. Files no pointer names are removed once older than
 * `KEEP_UNNAMED_MS`, which leaves a reader that has just read the previous pointer time to load it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checksumInWorker } from './index-workers.js';
import type { HnswParams } from './item-index.js';

/**
 * Bumped when the pointer or the meaning of a file changes: older files are then rebuilt.
 * 2: row i is under usearch key `keyAt(i)` (item-index.ts), no longer under key i.
 */
const FORMAT = 2;
const METRIC = 'cos';
const QUANTIZATION = 'f32';
const KEEP_UNNAMED_MS = 5 * 60_000;

/** What a saved index holds: enough to check it fits the table and to map its keys back to ids. */
export interface SnapshotContent {
  /** The id of the table it indexes (lance-tables.ts): a table made again under the same name has another. */
  readonly tableId: string;
  /** The table version its rows were read at: rows changed after it are patched in on load. */
  readonly version: number;
  readonly dimension: number;
  readonly hnsw: HnswParams;
  /** The id at each position (usearch key `keyAt(position)`), null where a row was removed. */
  readonly keys: ReadonlyArray<string | null>;
  /** Positions of the rows no search reaches (ItemIndex scores them exactly); absent in files saved before it was kept. */
  readonly unreachable?: readonly number[];
}

interface Pointer extends SnapshotContent {
  readonly format: number;
  readonly metric: string;
  readonly quantization: string;
  readonly file: string;
  readonly bytes: number;
  readonly crc32: number;
  readonly savedAt: string;
}

/** A loadable saved index, or why there is none (for the log and the start outcome). */
export type SnapshotRead = { readonly ok: true; readonly path: string; readonly content: SnapshotContent } | { readonly ok: false; readonly reason: string };

/** The parameters that shape the graph; ef at search time (expansionSearch) is set when the file is loaded. */
function sameParams(a: HnswParams, b: HnswParams): boolean {
  return a.connectivity === b.connectivity && a.expansionAdd === b.expansionAdd;
}

/** Why a pointer does not fit what this process would build, or undefined when it does. */
function mismatch(p: Pointer, tableId: string, dimension: number, hnsw: HnswParams): string | undefined {
  if (p.format !== FORMAT) return `saved in format ${p.format}, this version reads ${FORMAT}`;
  if (p.tableId !== tableId) return `saved for another table of this name (${p.tableId}; the table now is ${tableId}: dropped and made again)`;
  if (p.dimension !== dimension) return `saved for dimension ${p.dimension}, the table has ${dimension}`;
  if (p.metric !== METRIC || p.quantization !== QUANTIZATION || !sameParams(p.hnsw, hnsw)) {
    return `saved with other parameters (${p.metric}/${p.quantization}, ${JSON.stringify(p.hnsw)}; now ${METRIC}/${QUANTIZATION}, ${JSON.stringify(hnsw)})`;
  }
  if (!Array.isArray(p.keys) || !Number.isSafeInteger(p.version) || typeof p.file !== 'string' || !/^[\w-]+\.usearch$/.test(p.file)) return 'the pointer is malformed';
  if (p.unreachable !== undefined && !(Array.isArray(p.unreachable) && p.unreachable.every((u) => Number.isSafeInteger(u) && u >= 0 && u < p.keys.length))) return 'the pointer is malformed';
  return undefined;
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

export class IndexSnapshots {
  private readonly root: string;

  constructor(storeDirectory: string) {
    this.root = join(storeDirectory, '_ann');
  }

  /** A fresh path for a new index file of `collection` (its directory created). */
  async newFile(collection: string): Promise<string> {
    const dir = join(this.root, collection);
    await mkdir(dir, { recursive: true });
    return join(dir, `${randomUUID()}.usearch`);
  }

  /** The saved index of `collection` if it is intact and fits the table `tableId`, `dimension` and `hnsw`. */
  async read(collection: string, tableId: string, dimension: number, hnsw: HnswParams): Promise<SnapshotRead> {
    let pointer: Pointer;
    try {
      pointer = JSON.parse(await readFile(this.pointerPath(collection), 'utf8')) as Pointer;
    } catch (e) {
      return { ok: false, reason: errno(e) === 'ENOENT' ? 'no saved index' : `the pointer is unreadable (${(e as Error).message})` };
    }
    const wrong = mismatch(pointer, tableId, dimension, hnsw);
    if (wrong !== undefined) return { ok: false, reason: wrong };
    const path = join(this.root, collection, pointer.file);
    const sum = await checksumInWorker(path).catch((e: unknown) => (e as Error).message);
    if (typeof sum === 'string') return { ok: false, reason: `the index file is unreadable (${sum})` };
    if (sum.bytes !== pointer.bytes || sum.crc !== pointer.crc32) {
      return { ok: false, reason: `the index file is damaged (${sum.bytes} bytes, CRC-32 ${sum.crc}; the pointer says ${pointer.bytes}, ${pointer.crc32})` };
    }
    return { ok: true, path, content: pointer };
  }

  /**
   * Makes the complete index file at `path` (from `newFile`) the current one: fsync, checksum, then
   * the pointer replaced atomically. Unnamed older files are removed afterwards.
   */
  async publish(collection: string, path: string, content: SnapshotContent): Promise<void> {
    await fsyncFile(path);
    const { crc, bytes } = await checksumInWorker(path);
    const file = path.slice(path.lastIndexOf('/') + 1);
    const pointer: Pointer = { format: FORMAT, metric: METRIC, quantization: QUANTIZATION, ...content, file, bytes, crc32: crc, savedAt: new Date().toISOString() };
    const target = this.pointerPath(collection);
    const tmp = `${target}.${randomUUID()}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(pointer));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
    await this.removeUnnamed(collection, file);
  }

  /** When any process last published an index of `collection` (ms since the epoch), if ever. */
  async savedAt(collection: string): Promise<number | undefined> {
    return (await stat(this.pointerPath(collection)).catch(() => undefined))?.mtimeMs;
  }

  /** Removes the saved index of a dropped collection. */
  async remove(collection: string): Promise<void> {
    await rm(this.pointerPath(collection), { force: true });
    await rm(join(this.root, collection), { recursive: true, force: true });
  }

  private pointerPath(collection: string): string {
    return join(this.root, `${collection}.json`);
  }

  private async removeUnnamed(collection: string, current: string): Promise<void> {
    const dir = join(this.root, collection);
    const cutoff = Date.now() - KEEP_UNNAMED_MS;
    for (const name of await readdir(dir)) {
      if (name === current) continue;
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s !== undefined && s.mtimeMs < cutoff) await rm(join(dir, name), { force: true });
    }
  }
}
