// First: the global setup probes Kafka with kafkajs, whose negative timeout Node 24 warns about (services/core/process-warnings.ts).
import '../../services/core/process-warnings.js';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
// The stack scripts are plain JavaScript so that they run before anything is built.
// @ts-expect-error -- no type declarations for the .mjs stack script
import { kafkaMetadataOk, stackDown, stackUp, readStackEnv, redisPing, waitFor } from '../../infra/stack/stack.mjs';
// @ts-expect-error -- no type declarations for the .mjs stack script
import { readClusterEnv } from '../../infra/stack/cluster.mjs';
import { sharedRedisIsCluster } from '../support/test-redis.js';

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
 *
 * With REDIS_CLUSTER=true the suite runs against a Redis Cluster: REDIS_URL from the environment,
 * else the cluster stack's (`npm run stack:up -- --cluster`, .stack-cluster/env), and Kafka from the
 * single-node stack as usual. Which topology is used is printed.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let startedHere = false;
  let endpoints: { kafkaBrokers: string; redisUrl: string };
  const existing = readStackEnv() as Record<string, string> | undefined;
  if (sharedRedisIsCluster()) {
    endpoints = await clusterEndpoints(existing);
  } else if (process.env.KAFKA_BROKERS && process.env.REDIS_URL) {
    endpoints = await stackUp();
  } else if (existing?.KAFKA_BROKERS && existing.REDIS_URL) {
    // Started earlier by `npm run stack:up` (or .ci/run): `up` reuses (or revives) it; leave it running.
    endpoints = await stackUp();
  } else {
    endpoints = await stackUp();
    startedHere = true;
  }
  console.log(`integration suite: Redis ${sharedRedisIsCluster() ? 'Cluster (REDIS_CLUSTER=true)' : 'single node'} at ${endpoints.redisUrl}, Kafka at ${endpoints.kafkaBrokers}`);
  project.provide('kafkaBrokers', endpoints.kafkaBrokers);
  project.provide('redisUrl', endpoints.redisUrl);
  process.env.KAFKA_BROKERS = endpoints.kafkaBrokers;
  process.env.REDIS_URL = endpoints.redisUrl;
  return async () => {
    if (startedHere) await stackDown();
  };
}

/**
 * A REDIS_CLUSTER=true run: Kafka from KAFKA_BROKERS or the running single-node stack, Redis from
 * REDIS_URL or the running cluster stack. Neither stack is started, nor its env file rewritten.
 */
async function clusterEndpoints(single: Record<string, string> | undefined): Promise<{ kafkaBrokers: string; redisUrl: string }> {
  const kafkaBrokers = process.env.KAFKA_BROKERS ?? single?.KAFKA_BROKERS;
  const redisUrl = process.env.REDIS_URL ?? (readClusterEnv() as Record<string, string> | undefined)?.REDIS_URL;
  if (kafkaBrokers === undefined) throw new Error('REDIS_CLUSTER=true: set KAFKA_BROKERS, or start the single-node stack with `npm run stack:up`');
  if (redisUrl === undefined) throw new Error('REDIS_CLUSTER=true: set REDIS_URL to a Redis Cluster node, or start the cluster stack with `npm run stack:up -- --cluster`');
  const { hostname, port } = new URL(redisUrl);
  await waitFor(`Kafka at ${kafkaBrokers}`, () => kafkaMetadataOk(kafkaBrokers.split(',')), 30_000);
  await waitFor(`Redis at ${redisUrl}`, () => redisPing(hostname, Number(port || 6379)), 30_000);
  // A node answers PING before the cluster has all its slots (e.g. just after a failover).
  await waitFor(`Redis Cluster state ok at ${redisUrl}`, () => clusterStateOk(redisUrl), 60_000);
  return { kafkaBrokers, redisUrl };
}

async function clusterStateOk(url: string): Promise<boolean> {
  const node = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await node.connect();
    return /cluster_state:ok/.test(String(await node.cluster('INFO')));
  } catch {
    return false;
  } finally {
    node.disconnect();
  }
}
