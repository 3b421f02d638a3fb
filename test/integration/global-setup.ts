import type { TestProject } from 'vitest/node';
// The stack script is plain JavaScript so that it runs before anything is built.
// @ts-expect-error -- no type declarations for the .mjs stack script
import { stackDown, stackUp, readStackEnv } from '../../infra/stack/stack.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    redisUrl: string;
  }
}

/**
 * Finds the real Kafka and Redis the integration tests run against: the environment first, then a
 * stack already started by `npm run stack:up`, else starts the stack (and stops it afterwards).
 * It never skips: without a broker the run fails with the reason.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let startedHere = false;
  let endpoints: { kafkaBrokers: string; redisUrl: string };
  const existing = readStackEnv() as Record<string, string> | undefined;
  if (process.env.KAFKA_BROKERS && process.env.REDIS_URL) {
    endpoints = await stackUp();
  } else if (existing?.KAFKA_BROKERS && existing.REDIS_URL) {
    // Started earlier by `npm run stack:up` (or .ci/run): `up` reuses (or revives) it; leave it running.
    endpoints = await stackUp();
  } else {
    endpoints = await stackUp();
    startedHere = true;
  }
  project.provide('kafkaBrokers', endpoints.kafkaBrokers);
  project.provide('redisUrl', endpoints.redisUrl);
  process.env.KAFKA_BROKERS = endpoints.kafkaBrokers;
  process.env.REDIS_URL = endpoints.redisUrl;
  return async () => {
    if (startedHere) await stackDown();
  };
}
