/**
 * How fast `evaluate` ranks: scored events per CPU-second per strategy on a synthetic catalogue
 * (default 2,000 items, d = 64), one core. The issue asks for at least 20,000 per strategy.
 *
 *   node --import tsx bench/evaluate-speed.ts [--items 2000] [--dimension 64] [--events 20000]
 *     [--users 500] [--strategy ema,average,last,trend,hybrid,multi] [--ann] [--baseline DIR] [--chunk 500]
 *     [--baseline-first --copy DIR]
 *
 * CPU time (process.cpuUsage), not wall time: on a shared machine the wall clock also counts other
 * processes. With --baseline DIR (another checkout's root, e.g. `git worktree add /tmp/base main`,
 * or `git archive main services | tar -x -C DIR` with node_modules linked) the same events are fed
 * to that tree's replay and to this one in alternating chunks, CPU time summed per side, so both see
 * the same machine load; their results must be identical or the run fails. With --ann the
 * query-vector strategies rank with the embedded HNSW index (evaluate --ann); its build time is
 * reported apart from the replay.
 */
import { isDeepStrictEqual, parseArgs } from 'node:util';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CatalogueIndex, type CatalogueEntry } from '../services/domain/evaluation/catalogue-index.js';
import { PrequentialReplay, type ReplayEvent } from '../services/domain/evaluation/replay.js';
import type { EvaluatedStrategy } from '../services/domain/evaluation/variants.js';
import { DEFAULT_FOLD_PARAMS } from '../services/domain/types.js';
import { createActivity } from '../services/workload/activity.js';
import { createCatalogue } from '../services/workload/catalogue.js';
import { buildAnnRanker } from '../services/cli/evaluate-ann.js';
import type { AnnRanker } from '../services/domain/evaluation/ann-ranking.js';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '2000' },
    dimension: { type: 'string', default: '64' },
    events: { type: 'string', default: '20000' },
    strategy: { type: 'string', default: 'ema' },
    ann: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    chunk: { type: 'string', default: '500' },
    users: { type: 'string', default: '500' },
    'baseline-first': { type: 'boolean', default: false },
    copy: { type: 'string' },
  },
});

/** The two classes a side needs; a baseline tree supplies its own. */
interface Implementation {
  readonly Index: new (items: readonly CatalogueEntry[]) => CatalogueIndex;
  readonly Replay: new (index: CatalogueIndex, opts: ConstructorParameters<typeof PrequentialReplay>[1], ann?: AnnRanker) => PrequentialReplay;
}

/** A replay under test and the CPU time spent in its `push`. */
interface Side {
  readonly label: string;
  readonly replay: PrequentialReplay;
  cpuUs: number;
}

async function baselineImplementation(root: string): Promise<Implementation> {
  const at = (file: string) => pathToFileURL(path.resolve(root, 'services/domain/evaluation', file)).href;
  const { CatalogueIndex: Index } = (await import(at('catalogue-index.ts'))) as { CatalogueIndex: Implementation['Index'] };
  const { PrequentialReplay: Replay } = (await import(at('replay.ts'))) as { PrequentialReplay: Implementation['Replay'] };
  return { Index, Replay };
}

function makeSide(label: string, impl: Implementation, entries: readonly CatalogueEntry[], strategy: EvaluatedStrategy, ann: AnnRanker | undefined): Side {
  const index = new impl.Index(entries);
  const replay = new impl.Replay(
    index,
    {
      grid: { strategies: [strategy], alpha: [0.2], beta: [0.5], momentum: [1], lambda: [0.05], multi: { interests: [3], threshold: [0.5], halfLifeMs: [3_600_000] }, k: 10 },
      fold: DEFAULT_FOLD_PARAMS,
      trendWindow: 3,
      snapshotIntervalMs: 60_000,
      popularHalfLifeMs: 86_400_000,
    },
    ann,
  );
  return { label, replay, cpuUs: 0 };
}

/**
 * Feeds every side the same events, a chunk at a time in turn, timing each side's CPU. The side that
 * goes first alternates from chunk to chunk: the second finds the chunk's events already in cache,
 * which gave it ×1.05–1.10 in A/A runs (one tree against a copy of itself) when the order was fixed.
 * The order the trees' code was loaded in is the other bias (see `implementations`).
 */
function feed(sides: Side[], events: readonly ReplayEvent[], chunk: number): void {
  for (let from = 0, turn = 0; from < events.length; from += chunk, turn++) {
    const slice = events.slice(from, from + chunk);
    for (const side of turn % 2 === 0 ? sides : [...sides].reverse()) {
      const before = process.cpuUsage();
      for (const e of slice) side.replay.push(e);
      const used = process.cpuUsage(before);
      side.cpuUs += used.user + used.system;
    }
  }
}

const items = Number(values.items);
const catalogue = createCatalogue({ items, dimension: Number(values.dimension), clusters: 8, seed: 7 });
const entries = [...catalogue.items()];
const events: ReplayEvent[] = [...createActivity(catalogue, { users: Number(values.users), events: Number(values.events), seed: 7 }).events()].map((event, i) => ({
  event,
  watermark: { partition: 0, offset: String(i) },
}));
// Which tree's code is loaded first matters: in A/A runs (this tree against a copy of itself) the
// tree loaded first ran 5-13 % faster, whichever it was. By default this tree is loaded first (it is
// imported above). --baseline-first loads the baseline first and this tree from a copy of its own
// made beforehand (--copy DIR: e.g. `mkdir DIR && cp -r services DIR/`, node_modules linked). Run
// both orders and take the geometric mean of the two ratios (docs/benchmarks.md).
async function implementations(): Promise<{ current: Implementation; baseline: Implementation | undefined }> {
  const own: Implementation = { Index: CatalogueIndex, Replay: PrequentialReplay };
  if (values.baseline === undefined) return { current: own, baseline: undefined };
  if (!values['baseline-first']) return { current: own, baseline: await baselineImplementation(values.baseline) };
  if (values.copy === undefined) throw new Error('--baseline-first needs --copy DIR, a copy of this tree loaded after the baseline');
  const baseline = await baselineImplementation(values.baseline);
  return { current: await baselineImplementation(values.copy), baseline };
}
const { current, baseline } = await implementations();
const buildStart = performance.now();
const ann = values.ann ? await buildAnnRanker(new CatalogueIndex(entries)) : undefined;
if (ann !== undefined) console.log(`HNSW index of ${items} items built in ${((performance.now() - buildStart) / 1000).toFixed(2)} s wall`);

for (const strategy of values.strategy.split(',') as EvaluatedStrategy[]) {
  const sides = [makeSide('this tree', current, entries, strategy, ann)];
  if (baseline !== undefined) sides.unshift(makeSide('baseline', baseline, entries, strategy, ann));
  feed(sides, events, Number(values.chunk));
  const results = sides.map((s) => s.replay.result());
  const { counts } = results[0]!;
  const ranked = counts.scored + counts.coldStart;
  const rates = sides.map((s) => ranked / (s.cpuUs / 1e6));
  const line = sides.map((s, i) => `${s.label} ${Math.round(rates[i]!)} per CPU-second (${(s.cpuUs / 1e6).toFixed(2)} s)`).join(', ');
  const ratio = rates.length === 2 ? `, ×${(rates[1]! / rates[0]!).toFixed(2)}` : '';
  console.log(`${strategy}${ann === undefined ? '' : ' (ann)'}: ${events.length} events, ${ranked} ranked (${items} items, d=${Number(values.dimension)}): ${line}${ratio}`);
  if (results.length === 2 && !isDeepStrictEqual(results[0], results[1])) {
    console.error(`${strategy}: the two trees' results differ`);
    process.exitCode = 1;
  }
}
