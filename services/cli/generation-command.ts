import { parseArgs } from 'node:util';
import type { Admin } from 'kafkajs';
import type { Config } from '../core/config.js';
import { InterestStreamError } from '../domain/errors.js';
import type { Logger } from '../core/logger.js';
import { consumerGroupId } from '../core/names.js';
import { kafkaForConfig } from '../adapters/kafka/kafka-client.js';
import { consumerLag } from '../adapters/kafka/consumer-lag.js';
import { connectRedis, redisForConfig, type RedisClient } from '../adapters/redis/redis-client.js';
import { RedisGenerationRegistry, type GenerationInfo } from '../adapters/redis/redis-generation-registry.js';
import { deleteByPrefix } from '../adapters/redis/redis-keyspace.js';
import { VectorStoreGenerations } from '../adapters/vector-store/vector-store-generations.js';
import { createVectorStore } from '../adapters/vector-store/create-vector-store.js';
import type { AliasingVectorStore } from '../domain/ports/index.js';

export const GENERATION_USAGE = `interest-stream generation list
interest-stream generation activate <name> [--force]   switch the query service to <name> (refuses while it lags, unless --force)
interest-stream generation drop <name>                 delete a retired generation's state (never the active one)`;

/** The alias external readers of the vector store can use for the active users collection. */
export const USERS_ALIAS = 'users';

interface Ctx {
  readonly config: Pick<Config, 'interactionsTopic' | 'generation' | 'consumerGroup'>;
  readonly registry: RedisGenerationRegistry;
  readonly redis: RedisClient;
  readonly admin: Admin;
  readonly store: AliasingVectorStore;
  readonly out: (line: string) => void;
}

/** `interest-stream generation list | activate | drop`: the operator's side of replays and backfills. */
export async function runGeneration(args: string[], config: Config, logger: Logger, out: (line: string) => void = console.log): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { force: { type: 'boolean' } } });
  const [verb, name] = positionals;
  if (verb !== 'list' && (verb === undefined || name === undefined || !['activate', 'drop'].includes(verb))) {
    throw new InterestStreamError('INVALID_INPUT', `usage:\n${GENERATION_USAGE}`);
  }
  const redis = redisForConfig(config, logger);
  await connectRedis(redis, config.redisUrl);
  const admin = kafkaForConfig(config, logger).admin();
  const store = createVectorStore(config, logger);
  try {
    await admin.connect();
    await store.start();
    const ctx: Ctx = { config, registry: new RedisGenerationRegistry(redis, config.redisPrefix, new VectorStoreGenerations(store)), redis, admin, store, out };
    if (verb === 'list') await list(ctx);
    else if (verb === 'activate') await activate(ctx, name!, values.force === true);
    else await drop(ctx, name!);
    return 0;
  } finally {
    await Promise.allSettled([admin.disconnect(), store.close(), redis.quit()]);
  }
}

async function list(ctx: Ctx): Promise<void> {
  const [all, active] = await Promise.all([ctx.registry.list(), ctx.registry.active()]);
  if (all.length === 0) {
    ctx.out('no generations yet: `interest-stream ingest` creates the first one');
    return;
  }
  ctx.out(['', 'name', 'created', 'from', 'items', 'users', 'lag'].join('\t'));
  for (const g of all) {
    const lag = (await consumerLag(ctx.admin, g.consumerGroup, ctx.config.interactionsTopic)).total;
    const users = await ctx.store.count(g.usersCollection).catch(() => 0);
    const mark = g.name === (active ?? ctx.config.generation) ? '*' : '';
    ctx.out([mark, g.name, new Date(g.createdAt).toISOString(), g.from, g.itemsCollection, users, lag].join('\t'));
  }
  if (active === null) ctx.out(`(no generation activated yet: the query service reads GENERATION=${ctx.config.generation})`);
}

async function activate(ctx: Ctx, name: string, force: boolean): Promise<void> {
  const info = await known(ctx, name);
  const lag = (await consumerLag(ctx.admin, info.consumerGroup, ctx.config.interactionsTopic)).total;
  if (lag > 0 && !force) {
    throw new InterestStreamError('CONFLICT', `generation "${name}" is still ${lag} events behind; wait for its ingest to catch up, or pass --force`);
  }
  // The alias is for other readers of the vector store; the query service follows the pointer,
  // which is switched last and in one step.
  await ctx.store.setAlias(USERS_ALIAS, info.usersCollection);
  const previous = await ctx.registry.active();
  await ctx.registry.activate(name);
  ctx.out(`generation ${name} is active${previous && previous !== name ? ` (was ${previous}; drop it with: interest-stream generation drop ${previous})` : ''}`);
}

async function drop(ctx: Ctx, name: string): Promise<void> {
  const info = await known(ctx, name);
  const active = (await ctx.registry.active()) ?? ctx.config.generation;
  if (name === active) throw new InterestStreamError('CONFLICT', `generation "${name}" is active; activate another one before dropping it`);
  const groups = [info.consumerGroup, consumerGroupId(`${ctx.config.consumerGroup}-items`, name)];
  const described = await ctx.admin.describeGroups(groups);
  const busy = described.groups.filter((g) => g.members.length > 0).map((g) => g.groupId);
  if (busy.length > 0) throw new InterestStreamError('CONFLICT', `consumer group ${busy.join(', ')} still has members: stop the ingest of "${name}" first`);
  await ctx.admin.deleteGroups(described.groups.filter((g) => g.state !== 'Dead').map((g) => g.groupId)).catch(() => {});
  const keys = await deleteByPrefix(ctx.redis, `${info.redisPrefix}:`);
  await ctx.store.dropCollection(info.usersCollection);
  await ctx.registry.remove(name);
  ctx.out(`generation ${name} dropped: consumer groups, ${keys} Redis keys and collection ${info.usersCollection} deleted`);
}

async function known(ctx: Ctx, name: string): Promise<GenerationInfo> {
  const info = await ctx.registry.get(name);
  if (info === undefined) throw new InterestStreamError('NOT_FOUND', `generation "${name}" is unknown (see: interest-stream generation list)`);
  return info;
}
