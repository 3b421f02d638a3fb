/**
 * How fast `evaluate` ranks: scored events per second per strategy on a synthetic catalogue
 * (default 2,000 items, d = 64), one core. The issue asks for at least 20,000.
 *
 *   node --import tsx bench/evaluate-speed.ts [--items 2000] [--dimension 64] [--events 20000] [--strategy ema] [--ann]
 *
 * With --ann the query-vector strategies rank with the embedded HNSW index (evaluate --ann); its
 * build time is reported apart from the replay.
 */
import { parseArgs } from 'node:util';
import { CatalogueIndex } from '../services/domain/evaluation/catalogue-index.js';
import { PrequentialReplay } from '../services/domain/evaluation/replay.js';
import type { EvaluatedStrategy } from '../services/domain/evaluation/variants.js';
import { DEFAULT_FOLD_PARAMS } from '../services/domain/types.js';
import { createActivity } from '../services/workload/activity.js';
import { createCatalogue } from '../services/workload/catalogue.js';
import { buildAnnRanker } from '../services/cli/evaluate-ann.js';

const { values } = parseArgs({
  options: { items: { type: 'string', default: '2000' }, dimension: { type: 'string', default: '64' }, events: { type: 'string', default: '20000' }, strategy: { type: 'string', default: 'ema' }, ann: { type: 'boolean', default: false } },
});
const catalogue = createCatalogue({ items: Number(values.items), dimension: Number(values.dimension), clusters: 8, seed: 7 });
const index = new CatalogueIndex([...catalogue.items()]);
const events = [...createActivity(catalogue, { users: 500, events: Number(values.events), seed: 7 }).events()].map((event, i) => ({
  event,
  watermark: { partition: 0, offset: String(i) },
}));
const buildStart = performance.now();
const ann = values.ann ? await buildAnnRanker(index) : undefined;
if (ann !== undefined) console.log(`HNSW index of ${index.size} items built in ${((performance.now() - buildStart) / 1000).toFixed(2)} s wall`);
const replay = new PrequentialReplay(index, {
  grid: { strategies: [values.strategy as EvaluatedStrategy], alpha: [0.2], beta: [0.5], momentum: [1], lambda: [0.05], multi: { interests: [3], threshold: [0.5], halfLifeMs: [3_600_000] }, k: 10 },
  fold: DEFAULT_FOLD_PARAMS,
  trendWindow: 3,
  snapshotIntervalMs: 60_000,
  popularHalfLifeMs: 86_400_000,
}, ann);
// CPU time as well as wall time: on a shared machine the wall clock also counts other processes.
const started = performance.now();
const cpu = process.cpuUsage();
for (const e of events) replay.push(e);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
const cpuSeconds = (used.user + used.system) / 1e6;
const { counts } = replay.result();
const ranked = counts.scored + counts.coldStart;
console.log(
  `${values.strategy}${ann === undefined ? '' : ' (ann)'}: ${events.length} events, ${ranked} ranked in ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU: ` +
    `${Math.round(ranked / seconds)} scored events/s wall, ${Math.round(ranked / cpuSeconds)} per CPU second (${index.size} items, d=${index.dimension})`,
);
