import { parseArgs } from 'node:util';
import type { Config } from '../core/config.js';
import { InterestStreamError } from '../domain/errors.js';
import type { Logger } from '../core/logger.js';
import { formatWatermark } from '../core/user-state-codec.js';
import type { VectorPoint, VectorStore } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import { l2Norm } from '../domain/vector.js';
import { connectRedis, createRedisClient } from '../adapters/redis/redis-client.js';
import { RedisGenerationRegistry } from '../adapters/redis/redis-generation-registry.js';
import { VectorStoreGenerations } from '../adapters/vector-store/vector-store-generations.js';
import { createVectorStore } from '../adapters/vector-store/create-vector-store.js';
import { generationViewFactory, type GenerationView } from '../query/generation-views.js';
import { redisGenerationStores } from '../adapters/redis/redis-generation-stores.js';
import { readHistory, type TrendSummary } from '../query/history.js';
import { catalogueItems } from '../query/use-cases.js';
import { parseId } from '../query/validation.js';

export const USER_SHOW_USAGE = `interest-stream user show <userId> [--json]   a user's state, recent items, dislikes, history and drift
                                              in the active generation (--json: one JSON object)`;

export interface RecentView {
  readonly id: string;
  /** From the item's catalogue payload, when it has one. */
  readonly title?: string;
  readonly category?: string;
  /** False when the item is no longer (or not yet) in the catalogue. */
  readonly inCatalogue: boolean;
}

/** What `user show` prints. Never the vector itself: its dimension and norm say whether it is sound. */
export interface UserReport {
  readonly userId: string;
  readonly generation: string;
  /** False when no generation was ever activated and GENERATION named the one read. */
  readonly activated: boolean;
  readonly source: 'redis' | 'durable';
  readonly eventCount: number;
  /** ISO-8601; null when no event was folded. */
  readonly lastEventAt: string | null;
  readonly erased: boolean;
  /** `partition:offset`; null when none. */
  readonly watermark: string | null;
  readonly vector: { readonly dimension: number; readonly norm: number } | null;
  /** Oldest first, as the state keeps them. */
  readonly recentViews: readonly RecentView[];
  readonly seenCount: number;
  readonly dislikes: readonly string[];
  readonly history: {
    readonly snapshots: ReadonlyArray<{ readonly window: number; readonly takenAt: string; readonly eventCount: number; readonly watermark: string }>;
    readonly drift: number | null;
    readonly trend: TrendSummary | null;
  };
}

/**
 * `interest-stream user show <userId> [--json]`: reads the active generation's view of one user
 * (Redis, else the durable users collection) and prints it; 1 for an unknown user. Opens its own
 * connections and closes them before returning.
 */
export async function runUserShow(
  args: string[],
  config: Config,
  logger: Logger,
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  const { userId, json } = parseUserShowArgs(args);
  const redis = createRedisClient({ url: config.redisUrl, cluster: config.redisCluster, logger });
  const vectors = createVectorStore(config, logger);
  try {
    await connectRedis(redis, config.redisUrl);
    await vectors.start();
    const registry = new RedisGenerationRegistry(redis, config.redisPrefix, new VectorStoreGenerations(vectors));
    const active = await registry.active();
    const view = await generationViewFactory(redisGenerationStores(redis, registry, config), { vectors, interactionsTopic: config.interactionsTopic, logger })(active ?? config.generation);
    const report = await userReport({ view, vectors, config, userId, activated: active !== null });
    if (report === null) {
      err(`user "${userId}" is unknown in generation ${view.name}: no state in Redis and none in the collection ${view.users.collection}`);
      return 1;
    }
    if (json) out(JSON.stringify(report));
    else formatReport(report).forEach((line) => out(line));
    return 0;
  } finally {
    await Promise.allSettled([vectors.close(), redis.quit()]);
  }
}

function parseUserShowArgs(args: string[]): { userId: string; json: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  } catch (e) {
    throw new InterestStreamError('INVALID_INPUT', `${(e as Error).message}\nusage: ${USER_SHOW_USAGE}`);
  }
  if (parsed.positionals.length !== 1) throw new InterestStreamError('INVALID_INPUT', `user show needs exactly one user id\nusage: ${USER_SHOW_USAGE}`);
  return { userId: parseId('userId', parsed.positionals[0]), json: parsed.values.json === true };
}

interface ReportInput {
  readonly view: GenerationView;
  readonly vectors: VectorStore;
  readonly config: Config;
  readonly userId: string;
  readonly activated: boolean;
}

/** The report for one user, or null when the generation has never heard of them. */
export async function userReport(input: ReportInput): Promise<UserReport | null> {
  const { view, vectors, config, userId } = input;
  const { state, source } = await view.users.load(userId);
  if (state === null || source === 'none') return null;
  const [items, history] = await Promise.all([
    catalogueItems(vectors, view.itemsCollection, state.recentViews),
    readHistory(view, { userId, limit: config.historySize, includeVector: false }, config.trendWindow),
  ]);
  return {
    userId,
    generation: view.name,
    activated: input.activated,
    source,
    ...stateFields(state),
    recentViews: state.recentViews.map((id) => recentView(id, items.get(id))),
    history: {
      snapshots: history.snapshots.map((s) => ({ window: s.window, takenAt: iso(s.takenAt), eventCount: s.eventCount, watermark: s.watermark })),
      drift: history.drift,
      trend: history.trend,
    },
  };
}

function stateFields(state: UserState): Pick<UserReport, 'eventCount' | 'lastEventAt' | 'erased' | 'watermark' | 'vector' | 'seenCount' | 'dislikes'> {
  return {
    eventCount: state.eventCount,
    lastEventAt: state.lastEventAt > 0 ? iso(state.lastEventAt) : null,
    erased: state.erased,
    watermark: state.watermark === null ? null : formatWatermark(state.watermark),
    vector: state.vector === null ? null : { dimension: state.vector.length, norm: l2Norm(state.vector) },
    seenCount: state.seen.length,
    dislikes: state.disliked,
  };
}

function recentView(id: string, item: VectorPoint | undefined): RecentView {
  if (item === undefined) return { id, inCatalogue: false };
  const { title, category } = item.payload;
  return {
    id,
    ...(typeof title === 'string' ? { title } : {}),
    ...(typeof category === 'string' ? { category } : {}),
    inCatalogue: true,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const row = (label: string, value: string | number): string => `${label.padEnd(14)}${value}`;
const fixed = (x: number): string => x.toFixed(6);

/** The text form: one `label value` line per field, lists indented below their heading. */
export function formatReport(r: UserReport): string[] {
  return [
    row('user', r.userId),
    row('generation', r.activated ? r.generation : `${r.generation} (from GENERATION: none activated)`),
    row('source', r.source),
    row('events', r.eventCount),
    row('last event', r.lastEventAt ?? 'none'),
    row('erased', r.erased ? 'yes' : 'no'),
    row('watermark', r.watermark ?? 'none'),
    row('vector', r.vector === null ? 'none' : `dimension ${r.vector.dimension}, norm ${fixed(r.vector.norm)}`),
    row('recent views', r.recentViews.length === 0 ? 'none' : `${r.recentViews.length}, oldest first`),
    ...r.recentViews.map((v) => `  ${v.id}  ${describeItem(v)}`),
    row('seen', r.seenCount),
    row('dislikes', r.dislikes.length === 0 ? 'none' : `${r.dislikes.length}: ${r.dislikes.join(', ')}`),
    ...formatHistory(r.history),
  ];
}

function describeItem(v: RecentView): string {
  if (!v.inCatalogue) return '(not in the catalogue)';
  const parts = [v.title === undefined ? '' : JSON.stringify(v.title), v.category === undefined ? '' : `[${v.category}]`].filter((p) => p !== '');
  return parts.length === 0 ? '(no title or category)' : parts.join(' ');
}

function formatHistory(h: UserReport['history']): string[] {
  const n = h.snapshots.length;
  const trend = h.trend;
  return [
    row('history', n === 0 ? 'none yet' : `${n} window${n === 1 ? '' : 's'}, oldest first`),
    ...h.snapshots.map((s) => `  window ${s.window}  ${s.takenAt}  events ${s.eventCount}  watermark ${s.watermark}`),
    row('drift', h.drift === null ? 'n/a (fewer than 2 windows)' : `${fixed(h.drift)} (older vs newer half of ${2 * Math.floor(n / 2)} windows)`),
    row('trend', trend === null ? 'none: strategy=trend falls back to ema' : `drift ${fixed(trend.drift)} over the last ${trend.windowsUsed} windows`),
  ];
}
