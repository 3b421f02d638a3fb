import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../core/config.js';
import { InterestStreamError } from '../domain/errors.js';
import { parseEventLine, parseItemLine, readJsonlLines } from '../core/jsonl.js';
import type { Logger } from '../core/logger.js';
import { createKafka } from '../adapters/kafka/kafka-client.js';
import { readInteractionLog } from '../adapters/kafka/interaction-log-reader.js';
import { CatalogueIndex, type CatalogueEntry } from '../domain/evaluation/catalogue-index.js';
import { PrequentialReplay, type ReplayEvent, type ReplayOptions, type ReplayResult } from '../domain/evaluation/replay.js';
import { EVALUATED_STRATEGIES, type EvaluatedStrategy } from '../domain/evaluation/variants.js';
import { renderHitRateChart, renderTable } from './evaluate-report.js';
import { DEFAULT_ANN_DEPTH, type AnnRanker } from '../domain/evaluation/ann-ranking.js';
import { createProgress, type Progress } from './progress.js';
import { openKeyStore, openerFor } from '../adapters/shredding.js';

export const EVALUATE_USAGE = `interest-stream evaluate --items <items.jsonl> (--events <events.jsonl> | --topic [name]) [options]

A prequential replay: events in log order; before each view is folded, every strategy ranks the
whole catalogue for that user, and the rank of the viewed item is scored. Reads no live state and
writes none. What is counted, exactly: docs/quality.md.

Input:
  --items FILE        the catalogue, {"id","vector":[...]} per line
  --events FILE       events, {"userId","itemId","type","occurredAt",...} per line, replayed in line order
  --topic [NAME]      or the interactions topic (default INTERACTIONS_TOPIC), read from earliest
  --from TIME         rank only views stamped at or after TIME (ISO-8601); earlier events are folded (warm-up)
  --to TIME           leave out events stamped at or after TIME

Strategies and grids (comma lists):
  --strategies LIST   of ${EVALUATED_STRATEGIES.join(', ')} (default: all)
  --alpha LIST        EMA weight of a view (default FOLD_ALPHA)
  --beta LIST         strength of a dislike (default FOLD_BETA)
  --momentum LIST     γ of the damped trend (default TREND_MOMENTUM)
  --lambda LIST       λ of the popularity blend (default HYBRID_LAMBDA)
  --diversity LIST    MMR diversity 0..1: every strategy again with its top K re-ranked (default 0; not multi)
  --interests LIST    multi: most interests per user (default MULTI_INTERESTS, at least 1)
  --threshold LIST    multi: cosine for a view to join its nearest interest (default MULTI_THRESHOLD)
  --half-life LIST    multi: half-life of an interest's importance, ms (default MULTI_HALF_LIFE_MS)
  --k N               cut-off of HR@K, NDCG@K, coverage and intra-list similarity (default 10)
  --ann               rank ema, average, last and trend with the embedded HNSW index instead of
                      exactly (large catalogues); a viewed item beyond --ann-depth counts as a miss
  --ann-depth N       results read per view with --ann (default ${DEFAULT_ANN_DEPTH}); MRR becomes MRR@N

Output:
  --out DIR           also write DIR/evaluation.json and DIR/hr-over-time.svg
  --json              print the JSON instead of the table`;

const FLAGS = {
  items: { type: 'string' },
  events: { type: 'string' },
  topic: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  strategies: { type: 'string' },
  alpha: { type: 'string' },
  beta: { type: 'string' },
  momentum: { type: 'string' },
  lambda: { type: 'string' },
  diversity: { type: 'string' },
  interests: { type: 'string' },
  threshold: { type: 'string' },
  'half-life': { type: 'string' },
  ann: { type: 'boolean' },
  'ann-depth': { type: 'string' },
  k: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface EvaluateArgs {
  readonly items: string;
  readonly source: { readonly file: string } | { readonly topic: string };
  readonly replay: ReplayOptions;
  readonly out: string | undefined;
  readonly json: boolean;
  readonly ann: boolean;
}

function usage(message: string): InterestStreamError {
  return new InterestStreamError('INVALID_INPUT', `${message}\n\n${EVALUATE_USAGE}`);
}

function numbers(flag: string, raw: string | undefined, fallback: number): number[] {
  if (raw === undefined) return [fallback];
  const values = raw.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (values.some((n) => !Number.isFinite(n))) throw usage(`--${flag}: a comma list of numbers, got ${JSON.stringify(raw)}`);
  return values;
}

function time(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw usage(`--${flag}: an ISO-8601 time, got ${JSON.stringify(raw)}`);
  return ms;
}

function strategies(raw: string | undefined): EvaluatedStrategy[] {
  if (raw === undefined) return [...EVALUATED_STRATEGIES];
  const list = raw.split(',').map((s) => s.trim());
  const bad = list.find((s) => !(EVALUATED_STRATEGIES as readonly string[]).includes(s));
  if (bad !== undefined) throw usage(`--strategies: ${JSON.stringify(bad)} is not one of ${EVALUATED_STRATEGIES.join(', ')}`);
  return list as EvaluatedStrategy[];
}

/** Parses the flags (`--topic` may be followed by a topic name); throws INVALID_INPUT naming the bad one. */
export function parseEvaluateArgs(args: readonly string[], config: Config): EvaluateArgs | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof FLAGS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options: FLAGS, allowPositionals: true, strict: true });
  } catch (e) {
    throw usage(e instanceof Error ? e.message : String(e));
  }
  const { values: v, positionals } = parsed;
  if (v.help === true) return 'help';
  if (positionals.length > (v.topic === true ? 1 : 0)) throw usage(`unexpected argument ${JSON.stringify(positionals.at(-1))}`);
  if (v.items === undefined) throw usage('--items is required');
  if ((v.events === undefined) === (v.topic !== true)) throw usage('give exactly one of --events FILE and --topic');
  const k = numbers('k', v.k, 10);
  if (k.length !== 1) throw usage('--k takes one number');
  const depth = numbers('ann-depth', v['ann-depth'], DEFAULT_ANN_DEPTH);
  if (depth.length !== 1 || !Number.isInteger(depth[0]) || depth[0]! < 1) throw usage('--ann-depth takes one positive integer');
  const source = v.events !== undefined ? { file: v.events } : { topic: positionals[0] ?? config.interactionsTopic };
  return {
    items: v.items,
    source,
    out: v.out,
    json: v.json === true,
    ann: v.ann === true,
    replay: {
      grid: {
        strategies: strategies(v.strategies),
        alpha: numbers('alpha', v.alpha, config.alpha),
        beta: numbers('beta', v.beta, config.beta),
        momentum: numbers('momentum', v.momentum, config.trendMomentum),
        lambda: numbers('lambda', v.lambda, config.hybridLambda),
        diversity: numbers('diversity', v.diversity, 0),
        multi: {
          interests: numbers('interests', v.interests, Math.max(1, config.multi.maxInterests)),
          threshold: numbers('threshold', v.threshold, config.multi.threshold),
          halfLifeMs: numbers('half-life', v['half-life'], config.multi.halfLifeMs),
        },
        k: k[0]!,
      },
      fold: { recentViews: config.recentViews, seenCap: config.seenCap, dislikedCap: config.dislikedCap, dedupeWindow: config.dedupeWindow },
      trendWindow: config.trendWindow,
      snapshotIntervalMs: config.snapshotIntervalMs,
      popularHalfLifeMs: config.popularHalfLifeMs,
      rankFrom: time('from', v.from),
      until: time('to', v.to),
      ...(v.ann === true ? { annDepth: depth[0]! } : {}),
    },
  };
}

async function readItems(file: string): Promise<CatalogueIndex> {
  const items: CatalogueEntry[] = [];
  for await (const { line, lineNo } of readJsonlLines(file)) {
    if (line.trim() !== '') items.push(parseItemLine(line, lineNo, items[0]?.vector.length));
  }
  return new CatalogueIndex(items);
}

async function readEventsFile(file: string): Promise<ReplayEvent[]> {
  const events: ReplayEvent[] = [];
  for await (const { line, lineNo } of readJsonlLines(file)) {
    if (line.trim() === '') continue;
    events.push({ event: parseEventLine(line, lineNo), watermark: { partition: 0, offset: String(lineNo) } });
  }
  return events;
}

interface EventsRead {
  readonly events: ReplayEvent[];
  readonly undecodable: number;
  /** Sealed events of erased users (ERASURE_MODE=shred): left out, as ingest leaves them. */
  readonly shredded: number;
}

async function readEvents(a: EvaluateArgs, config: Config, logger: Logger): Promise<EventsRead> {
  if ('file' in a.source) return { events: await readEventsFile(a.source.file), undecodable: 0, shredded: 0 };
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: config.kafkaClientId, logger });
  const label = `reading ${a.source.topic}`;
  let progress: Progress | undefined;
  const keys = config.shredSecrets.length > 0 ? await openKeyStore(config, logger) : undefined;
  try {
    const onProgress = (read: number, total: number): void => {
      progress ??= createProgress({ label, total, logger });
      if (read % 1000 === 0 || read === total) progress.update(read);
    };
    return await readInteractionLog(kafka, a.source.topic, onProgress, keys && openerFor(keys.store));
  } finally {
    progress?.stop();
    await keys?.close();
  }
}

/** Replays `events` with a progress bar (events/s, ETA). */
export function replayAll(catalogue: CatalogueIndex, events: readonly ReplayEvent[], opts: ReplayOptions, logger: Logger, ann?: AnnRanker): ReplayResult {
  const replay = new PrequentialReplay(catalogue, opts, ann);
  const progress = createProgress({ label: 'evaluating', total: events.length, logger });
  events.forEach((e, i) => {
    replay.push(e);
    if ((i + 1) % 500 === 0) progress.update(i + 1);
  });
  progress.update(events.length);
  progress.stop();
  return replay.result();
}

/** The JSON document `evaluate` writes: its inputs and parameters beside the results. */
export function evaluationDocument(a: EvaluateArgs, result: ReplayResult, undecodable: number, shredded = 0): object {
  const { grid, ...params } = a.replay;
  return { input: { items: a.items, ...a.source }, grid, params, undecodable, shredded, ...result };
}

/** `interest-stream evaluate`: 0 on success, 2 for bad flags (explained on stderr). */
export async function runEvaluate(args: string[], config: Config, logger: Logger): Promise<number> {
  let a: EvaluateArgs | 'help';
  try {
    a = parseEvaluateArgs(args, config);
  } catch (e) {
    if (!(e instanceof InterestStreamError)) throw e;
    console.error(e.message);
    return 2;
  }
  if (a === 'help') {
    console.log(EVALUATE_USAGE);
    return 0;
  }
  const catalogue = await readItems(a.items);
  const { events, undecodable, shredded } = await readEvents(a, config, logger);
  // Loaded only when asked for: it brings the native HNSW library.
  const ann = a.ann ? await (await import('./evaluate-ann.js')).buildAnnRanker(catalogue) : undefined;
  const result = replayAll(catalogue, events, a.replay, logger, ann);
  const doc = evaluationDocument(a, result, undecodable, shredded);
  if (a.out !== undefined) {
    await mkdir(a.out, { recursive: true });
    await writeFile(path.join(a.out, 'evaluation.json'), `${JSON.stringify(doc, null, 2)}\n`);
    await writeFile(path.join(a.out, 'hr-over-time.svg'), renderHitRateChart(result));
  }
  console.log(a.json ? JSON.stringify(doc, null, 2) : renderTable(result, undecodable, shredded));
  return 0;
}
