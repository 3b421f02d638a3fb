import { inject } from 'vitest';
import { loadConfig, type Config } from '../../services/core/config.js';
import { unique } from './names.js';
import { vectorStoreEnv } from './vector-store-env.js';
import { redisEnv } from './test-redis.js';

/** The settings a test runs the demo with: the real stack, its store under `dir`, free ports, no logs. */
export function demoTestConfig(dir: string, extra: Record<string, string> = {}): Config {
  return loadConfig({
    KAFKA_BROKERS: inject('kafkaBrokers'),
    ...redisEnv(),
    ...vectorStoreEnv(unique('demo'), dir),
    QUERY_HTTP_PORT: '0',
    QUERY_GRPC_PORT: '0',
    LOG_LEVEL: 'silent',
    ...extra,
  });
}
