/**
 * Configuration, read once from environment variables at start-up. Each section of it lives in
 * `config/<section>.ts`, where every variable is documented on its field; `loadConfig` reads every
 * section, lists *all* problems of all of them in one error, and returns a frozen object. Nothing
 * else in the code base reads `process.env`.
 *
 * Composition roots (the main.ts files, ingest-service.ts, the CLI commands) receive the whole
 * `Config`; each component they build receives only the section, or the `Pick<Config, …>`, it reads.
 */
import { InterestStreamError } from '../domain/errors.js';
import { readAccessSettings, type AccessSettings } from './config/access.js';
import { readErasureSettings, type ErasureSettings } from './config/erasure.js';
import { readFoldSettings, type FoldSettings } from './config/fold.js';
import { readGenerationSettings, type GenerationSettings } from './config/generation.js';
import { readHistorySettings, type HistorySettings } from './config/history.js';
import { readIngestSettings, type IngestSettings } from './config/ingest.js';
import { readKafkaSettings, type KafkaSettings } from './config/kafka.js';
import { readPopularitySettings, type PopularitySettings } from './config/popularity.js';
import { readProcessSettings, type ProcessSettings } from './config/process.js';
import { readQualitySettings, type QualitySettings } from './config/quality.js';
import { readQuerySettings, type QuerySettings } from './config/query.js';
import { Reader, type Env } from './config/reader.js';
import { readRedisSettings, type RedisSettings } from './config/redis.js';
import { readTopicSettings, type TopicSettings } from './config/topics.js';
import { readVectorStoreSettings, type VectorStoreSettings } from './config/vector-store.js';

export type { AccessSettings } from './config/access.js';
export type { ErasureSettings, ShredSettings } from './config/erasure.js';
export type { FoldSettings } from './config/fold.js';
export type { GenerationSettings } from './config/generation.js';
export type { HistorySettings } from './config/history.js';
export type { IngestSettings } from './config/ingest.js';
export type { KafkaSecuritySettings, KafkaSettings } from './config/kafka.js';
export type { PopularitySettings } from './config/popularity.js';
export type { ProcessSettings } from './config/process.js';
export type { QualitySettings } from './config/quality.js';
export type { QuerySettings } from './config/query.js';
export type { Env } from './config/reader.js';
export type { RedisSettings } from './config/redis.js';
export type { TopicSettings } from './config/topics.js';
export type { QdrantSettings, VectorStoreSettings } from './config/vector-store.js';

/** Every setting of every section: what a composition root receives. */
export interface Config
  extends ProcessSettings,
    KafkaSettings,
    TopicSettings,
    RedisSettings,
    GenerationSettings,
    VectorStoreSettings,
    FoldSettings,
    IngestSettings,
    HistorySettings,
    PopularitySettings,
    QuerySettings,
    AccessSettings,
    QualitySettings,
    ErasureSettings {}

/** Reads every section; throws CONFIG_INVALID listing every problem of every section at once. */
export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const config: Config = {
    ...readProcessSettings(r),
    ...readKafkaSettings(r),
    ...readTopicSettings(r),
    ...readRedisSettings(r),
    ...readGenerationSettings(r),
    ...readVectorStoreSettings(r),
    ...readFoldSettings(r),
    ...readIngestSettings(r),
    ...readHistorySettings(r),
    ...readPopularitySettings(r),
    ...readQuerySettings(r),
    ...readAccessSettings(r),
    ...readQualitySettings(r),
    ...readErasureSettings(r),
  };
  if (r.problems.length > 0) {
    throw new InterestStreamError('CONFIG_INVALID', `invalid configuration:\n  - ${r.problems.join('\n  - ')}`);
  }
  return Object.freeze(config);
}
