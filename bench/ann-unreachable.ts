/**
 * What finding the rows an HNSW graph does not lead to costs and gives (item-index.ts, `unreachable`):
 * build time, the rows flagged, the share of items a search for their own vector returns first, and
 * recall@10 and search time for queries near the catalogue, against a baseline tree in the same run.
 *
 *   node --import tsx bench/ann-unreachable.ts [--items 20000] [--dimension 64] [--queries 500] [--baseline DIR]
 *
 * DIR: another checkout's root (e.g. `git archive <rev> services | tar -x -C DIR` with node_modules
 * linked). Each tree builds its own index of the same catalogue three times, in turn with the other
 * (in a worker, wall time; the median is reported), then both answer the same queries, 50 at a time
 * in turn (CPU time). Items are the synthetic workload's (8 clusters).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createCatalogue } from '../services/workload/catalogue.js';
import { ItemIndex, type IndexedRow } from '../services/adapters/vector-store/item-index.js';
import { cosine } from '../test/support/math.js';
import { rng } from '../test/support/random.js';

const { values } = parseArgs({ options: { items: { type: 'string', default: '20000' }, dimension: { type: 'string', default: '64' }, queries: { type: 'string', default: '500' }, baseline: { type: 'string' } } });
const [n, d] = [Number(values.items), Number(values.dimension)];

type Builder = (dimension: number, rows: readonly IndexedRow[], version: number) => Promise<ItemIndex>;

async function baselineBuilder(root: string): Promise<Builder> {
  const url = pathToFileURL(path.resolve(root, 'services/adapters/vector-store/item-index.ts')).href;
  const { ItemIndex: Baseline } = (await import(url)) as { ItemIndex: { build: Builder } };
  return (dimension, rows, version) => Baseline.build(dimension, rows, version);
}

const rows: IndexedRow[] = [...createCatalogue({ items: n, dimension: d, clusters: 8, seed: 7 }).items()].map((i) => ({ id: i.id, vector: i.vector, payload: '{}' }));
// Queries near the catalogue, as interest vectors are: an item plus noise of a third of its length.
const rand = rng(11);
const queries = Array.from({ length: Number(values.queries) }, () => {
  const base = rows[Math.floor(rand() * n)]!.vector;
  return Float32Array.from(base, (x) => x + (rand() - 0.5) * 0.6 * Math.sqrt(3 / d));
});
const exact = queries.map((q) => rows.map((r, i) => [i, cosine(q, r.vector)] as const).sort((a, b) => b[1] - a[1]).slice(0, 10).map(([i]) => rows[i]!.id));
const search = (index: ItemIndex, vector: Float32Array, limit: number) => index.search({ vector, limit, exclude: new Set(), filter: undefined, maxCandidates: n }) ?? [];

const sides: Array<{ label: string; build: Builder; builds: number[]; index?: ItemIndex; cpuUs: number }> = [{ label: 'this tree', build: (dim, r, v) => ItemIndex.build(dim, r, v), builds: [], cpuUs: 0 }];
if (values.baseline !== undefined) sides.unshift({ label: 'baseline', build: await baselineBuilder(values.baseline), builds: [], cpuUs: 0 });
// Three builds per side, in turn (the last one answers); then the queries in turn, 50 at a time.
for (let round = 0; round < 3; round++) {
  for (const side of sides) {
    const started = performance.now();
    side.index = await side.build(d, rows, 1);
    side.builds.push((performance.now() - started) / 1000);
  }
}
const answers = sides.map(() => [] as string[][]);
for (let from = 0; from < queries.length; from += 50) {
  sides.forEach((side, s) => {
    const t0 = process.cpuUsage();
    for (const q of queries.slice(from, from + 50)) answers[s]!.push(search(side.index!, q, 10).map((h) => h.id));
    const used = process.cpuUsage(t0);
    side.cpuUs += used.user + used.system;
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
sides.forEach((side, s) => {
  const index = side.index!;
  let self = 0;
  for (const r of rows) if (search(index, r.vector, 1)[0]?.id === r.id) self++;
  let found = 0;
  answers[s]!.forEach((a, i) => (found += exact[i]!.filter((id) => a.includes(id)).length));
  const flagged = (index as unknown as { unreachableCount?: number }).unreachableCount ?? 0;
  console.log(
    `${side.label}: ${n} x ${d}: build ${median(side.builds).toFixed(2)} s wall (median of 3: ${side.builds.map((b) => b.toFixed(2)).join(', ')}), ${flagged} rows flagged unreachable, ` +
      `found first by their own vector ${self}/${n}, recall@10 ${(found / (queries.length * 10)).toFixed(4)}, ` +
      `search ${(side.cpuUs / queries.length).toFixed(0)} µs CPU`,
  );
});
