/**
 * The two slow steps around an HNSW index that must not block the event loop, each in a worker
 * thread: building it (usearch's `add` is synchronous native code, tens of seconds at 100k rows) and
 * checksumming a saved index file (~0.3 s for the 110 MB of 100k x 256).
 *
 * The workers are plain JavaScript evaluated from a string, so they run the same under tsx, vitest
 * and the compiled build.
 */
import { createRequire } from 'node:module';
import { Worker, type TransferListItem } from 'node:worker_threads';
import type { IndexConfig } from 'usearch';

// After the build and save, every row is looked up by its own vector (4,096 at a time) in a view of
// the saved file searched with ef = k, and the rows not among the first k are looked up again with
// the index's own ef: those still missing are the rows the graph does not lead to (unreachable-rows.ts).
// At 20k x 64 the narrow pass costs 0.33 of the build and flags
// 310 rows, the second pass leaves 26; one pass at ef 128 would cost 2.26 of the build.
const BUILD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Index } = require(workerData.usearch);
const { config, keys, vectors, path, threads, k } = workerData;
const index = new Index(config);
if (keys.length > 0) index.add(keys, vectors, threads);
index.save(path);
const d = config.dimensions;
const missing = (searcher, rows) => {
  const out = [];
  for (let from = 0; from < rows.length; from += 4096) {
    const batch = rows.slice(from, from + 4096);
    const queries = new Float32Array(batch.length * d);
    batch.forEach((row, q) => queries.set(vectors.subarray(row * d, (row + 1) * d), q * d));
    const found = searcher.search(queries, k, threads);
    batch.forEach((row, q) => {
      const own = batch.length === 1 ? found.keys : found.keys.subarray(q * k, q * k + Number(found.counts[q]));
      if (!own.includes(keys[row])) out.push(row);
    });
  }
  return out;
};
let unreachable = [];
if (keys.length > 0 && k > 0) {
  const narrow = new Index({ ...config, expansion_search: k });
  narrow.view(path);
  unreachable = missing(index, missing(narrow, Array.from({ length: keys.length }, (_, i) => i)));
}
parentPort.postMessage(unreachable);
`;

// zlib.crc32 (Node >= 20.15): a check against torn, truncated or foreign files, not against tampering.
const CHECKSUM_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { crc32 } = require('node:zlib');
const fd = openSync(workerData.path, 'r');
const chunk = Buffer.allocUnsafe(1 << 22);
let crc = 0;
let bytes = 0;
try {
  for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; bytes += n) crc = crc32(chunk.subarray(0, n), crc);
} finally {
  closeSync(fd);
}
parentPort.postMessage({ crc, bytes });
`;

function runWorker<T>(source: string, workerData: unknown, transferList: readonly TransferListItem[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData, transferList: [...transferList] });
    let done = false;
    worker.once('message', (result: T) => {
      done = true;
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => done || reject(new Error(`index worker exited with code ${code}`)));
  });
}

/**
 * Builds an index of the rows of `vectors` under `keys` (both transferred: unusable here afterwards)
 * and saves it at `path`. Returns the rows (indices into `keys`) that a search for their own vector
 * does not return among the first `k` (none checked for k = 0).
 */
export async function buildInWorker(config: IndexConfig, keys: BigUint64Array, vectors: Float32Array, path: string, k: number): Promise<number[]> {
  const usearch = createRequire(import.meta.url).resolve('usearch');
  return runWorker<number[]>(BUILD_SOURCE, { usearch, config, keys, vectors, path, threads: 2, k }, [keys.buffer as ArrayBuffer, vectors.buffer as ArrayBuffer]);
}

/** CRC-32 and length of a file, read in a worker. */
export function checksumInWorker(path: string): Promise<{ crc: number; bytes: number }> {
  return runWorker(CHECKSUM_SOURCE, { path });
}
