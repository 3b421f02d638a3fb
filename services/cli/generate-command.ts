import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { InteractionPublisher } from '../adapters/kafka/interaction-publisher.js';
import { createActivity, DEFAULT_START_TIME, eventJson, writeJsonl, type Activity, type GeneratedEvent } from '../workload/activity.js';
import { createCatalogue, DEFAULT_SPREAD, itemJson, type Catalogue } from '../workload/catalogue.js';
import { importCatalogueFile, openInteractionPublisher, type CatalogueSettings, type PublisherSettings } from './connections.js';
import { createProgress } from './progress.js';

export const GENERATE_USAGE = `interest-stream generate [options]

Generates a synthetic catalogue (items around topical clusters, with readable titles) and users
whose interests drift from one cluster to another. Seeded: the same options give the same bytes.

Options:
  --items N        catalogue size (default 2000)
  --dimension D    vector dimension (default 64)
  --clusters K     topical clusters, one category each (default 8)
  --spread S       an item's noise relative to its cluster centre (default ${DEFAULT_SPREAD})
  --users U        users (default 200)
  --events E       interaction events (default 10000)
  --rate R         events per second of simulated time (default 10)
  --start TIME     occurredAt of the first event, ISO-8601 (default ${new Date(DEFAULT_START_TIME).toISOString()})
  --seed S         seed, a non-negative integer (default 42)
  --out DIR        write DIR/items.jsonl, DIR/events.jsonl and DIR/users.jsonl (the users' true interests)
  --publish        import the items into the vector store and publish the events to the interactions topic

Give --out, --publish or both.`;

/** The parsed flags of `interest-stream generate`. */
export interface GenerateOptions {
  readonly items: number;
  readonly dimension: number;
  readonly clusters: number;
  readonly spread: number;
  readonly users: number;
  readonly events: number;
  readonly rate: number;
  readonly startTime: number;
  readonly seed: number;
  readonly out: string | undefined;
  readonly publish: boolean;
  readonly help: boolean;
}

/** A bad flag; the message names it. */
export class GenerateFlagError extends Error {}

const FLAGS = {
  items: { type: 'string' },
  dimension: { type: 'string' },
  clusters: { type: 'string' },
  spread: { type: 'string' },
  users: { type: 'string' },
  events: { type: 'string' },
  rate: { type: 'string' },
  start: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  publish: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses and checks the flags; throws GenerateFlagError naming the first bad one. */
export function parseGenerateArgs(args: readonly string[]): GenerateOptions {
  let values: Partial<Record<keyof typeof FLAGS, string | boolean>>;
  try {
    ({ values } = parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new GenerateFlagError(e instanceof Error ? e.message : String(e));
  }
  const flag = (name: keyof typeof FLAGS) => values[name] as string | undefined;
  const items = integerFlag('items', flag('items'), 2000, 1, 10_000_000);
  const clusters = integerFlag('clusters', flag('clusters'), 8, 1, 100_000);
  if (clusters > items) throw new GenerateFlagError(`--clusters: ${clusters} clusters need at least as many items, but --items is ${items}`);
  const options: GenerateOptions = {
    items,
    dimension: integerFlag('dimension', flag('dimension'), 64, 2, 65_536),
    clusters,
    spread: numberFlag('spread', flag('spread'), DEFAULT_SPREAD, (n) => n >= 0, 'a number of at least 0'),
    users: integerFlag('users', flag('users'), 200, 1, 10_000_000),
    events: integerFlag('events', flag('events'), 10_000, 0, 1_000_000_000),
    rate: numberFlag('rate', flag('rate'), 10, (n) => n > 0, 'a number above 0'),
    startTime: timeFlag('start', flag('start'), DEFAULT_START_TIME),
    seed: integerFlag('seed', flag('seed'), 42, 0, Number.MAX_SAFE_INTEGER),
    out: flag('out'),
    publish: values.publish === true,
    help: values.help === true,
  };
  if (options.out === '') throw new GenerateFlagError('--out: needs a directory');
  if (!options.help && options.out === undefined && !options.publish) throw new GenerateFlagError('give --out DIR, --publish, or both');
  return options;
}

function numberFlag(name: string, raw: string | undefined, def: number, ok: (n: number) => boolean, rule: string): number {
  if (raw === undefined) return def;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || !ok(n)) throw new GenerateFlagError(`--${name}: must be ${rule}, got ${JSON.stringify(raw)}`);
  return n;
}

function integerFlag(name: string, raw: string | undefined, def: number, min: number, max: number): number {
  return numberFlag(name, raw, def, (n) => Number.isInteger(n) && n >= min && n <= max, `an integer from ${min} to ${max}`);
}

function timeFlag(name: string, raw: string | undefined, def: number): number {
  if (raw === undefined) return def;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new GenerateFlagError(`--${name}: must be an ISO-8601 time, got ${JSON.stringify(raw)}`);
  return ms;
}

/**
 * `interest-stream generate`: writes the workload as JSONL under `--out`, and/or (`--publish`)
 * imports the catalogue into the vector store and publishes the events. Returns the exit code:
 * 0, or 2 for a bad flag (explained on stderr with the usage). Broker and store errors are thrown.
 */
export async function runGenerate(args: string[], config: Config, logger: Logger): Promise<number> {
  let opts: GenerateOptions;
  try {
    opts = parseGenerateArgs(args);
  } catch (e) {
    if (!(e instanceof GenerateFlagError)) throw e;
    console.error(`${e.message}\n\n${GENERATE_USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(GENERATE_USAGE);
    return 0;
  }
  const catalogue = createCatalogue({ items: opts.items, dimension: opts.dimension, clusters: opts.clusters, spread: opts.spread, seed: opts.seed });
  const activity = createActivity(catalogue, { users: opts.users, events: opts.events, seed: opts.seed, startTime: opts.startTime, eventsPerSecond: opts.rate });
  if (opts.out !== undefined) {
    await writeWorkload(opts.out, catalogue, activity, logger);
    console.log(`wrote ${catalogue.size} items, ${activity.eventCount} events and ${activity.users.length} users to ${opts.out}`);
  }
  if (opts.publish) await publishWorkload(opts.out, catalogue, activity, config, logger);
  return 0;
}

/** Writes `items.jsonl`, `events.jsonl` and `users.jsonl` (ground truth) under `dir`, creating it. */
export async function writeWorkload(dir: string, catalogue: Catalogue, activity: Activity, logger: Logger): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeItemsFile(path.join(dir, 'items.jsonl'), catalogue, logger);
  const events = createProgress({ label: 'writing events', total: activity.eventCount, logger });
  await writeJsonl(path.join(dir, 'events.jsonl'), mapIterable(activity.events(), eventJson), (n) => events.update(n));
  events.stop();
  await writeJsonl(path.join(dir, 'users.jsonl'), activity.users.map((u) => JSON.stringify(u)));
}

async function writeItemsFile(file: string, catalogue: Catalogue, logger: Logger): Promise<void> {
  const progress = createProgress({ label: 'writing items', total: catalogue.size, logger });
  await writeJsonl(file, mapIterable(catalogue.items(), itemJson), (n) => progress.update(n));
  progress.stop();
}

async function publishWorkload(out: string | undefined, catalogue: Catalogue, activity: Activity, config: PublisherSettings & CatalogueSettings, logger: Logger): Promise<void> {
  // importItems validates a whole file before writing anything; without --out the file is temporary.
  const dir = out ?? (await mkdtemp(path.join(tmpdir(), 'interest-stream-generate-')));
  try {
    if (out === undefined) await writeItemsFile(path.join(dir, 'items.jsonl'), catalogue, logger);
    const r = await importCatalogueFile(path.join(dir, 'items.jsonl'), config, logger);
    console.log(`imported ${r.imported} items (dimension ${r.dimension})`);
  } finally {
    if (out === undefined) await rm(dir, { recursive: true, force: true });
  }
  const publisher = await openInteractionPublisher(config, logger);
  try {
    const n = await publishEvents(activity, publisher, logger);
    console.log(`published ${n} events to ${config.interactionsTopic}`);
  } finally {
    await publisher.close();
  }
}

async function publishEvents(activity: Activity, publisher: InteractionPublisher, logger: Logger, batchSize = 1000): Promise<number> {
  const progress = createProgress({ label: 'publishing events', total: activity.eventCount, logger });
  let batch: GeneratedEvent[] = [];
  let done = 0;
  for (const event of activity.events()) {
    batch.push(event);
    if (batch.length < batchSize) continue;
    await publisher.publish(batch);
    done += batch.length;
    batch = [];
    progress.update(done);
  }
  if (batch.length > 0) await publisher.publish(batch);
  done += batch.length;
  progress.update(done);
  progress.stop();
  return done;
}

function* mapIterable<T, U>(source: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const t of source) yield f(t);
}
