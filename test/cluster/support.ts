/**
 * The cluster stack as the cluster tests see it: endpoints from .stack-cluster/env, and faults by
 * pid — a broker killed and restarted, a Redis primary killed so that its replica takes over.
 */
import { spawnSync } from 'node:child_process';
// @ts-expect-error -- no type declarations for the .mjs stack script
import { KAFKA_NODES, REDIS_NODES, clusterPid, readClusterEnv, startKafkaNode, startRedisNode } from '../../infra/stack/cluster.mjs';
import { eventually } from '../support/eventually.js';

interface NodeRef {
  readonly name: string;
  readonly port: number;
}

/** The endpoints of `npm run stack:up -- --cluster`; refuses plainly when it is not running. */
export function clusterEndpoints(): { kafkaBrokers: string; redisUrl: string } {
  const env = readClusterEnv() as Record<string, string> | undefined;
  if (!env?.KAFKA_BROKERS || !env.REDIS_URL) {
    throw new Error('the cluster stack is not running: start it with `npm run stack:up -- --cluster` (or run .ci/steps/cluster.sh)');
  }
  return { kafkaBrokers: env.KAFKA_BROKERS, redisUrl: env.REDIS_URL };
}

function kill(name: string): void {
  const pid = clusterPid(name) as number | undefined;
  if (pid === undefined) throw new Error(`no pid file for ${name}`);
  process.kill(pid, 'SIGKILL');
}

/** SIGKILLs one broker, waits `downMs`, starts it again (same data directory) and waits for its port. */
export async function bounceBroker(index: number, downMs: number): Promise<void> {
  const node = (KAFKA_NODES as Array<NodeRef & { id: number }>)[index]!;
  kill(node.name);
  await new Promise((r) => setTimeout(r, downMs));
  startKafkaNode(node);
  await eventually(() => portOpen(node.port), { timeoutMs: 120_000, intervalMs: 500 });
}

function portOpen(port: number): boolean {
  return spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]).status === 0;
}

function cli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' }).stdout ?? '';
}

/** The primaries now, by port, from CLUSTER NODES as `asker` sees it. */
export function primaries(asker: number): number[] {
  return cli(asker, 'CLUSTER', 'NODES')
    .split('\n')
    .filter((l) => /\bmaster\b/.test(l) && !/\bfail\b/.test(l))
    .map((l) => Number(/:(\d+)@/.exec(l)?.[1]));
}

/**
 * SIGKILLs the primary on `port` and waits until its replica has taken over (the cluster is ok
 * again without it), then starts the killed node again, which rejoins as a replica.
 */
export async function failOverRedisPrimary(port: number): Promise<void> {
  const node = (REDIS_NODES as NodeRef[]).find((n) => n.port === port)!;
  const other = (REDIS_NODES as NodeRef[]).find((n) => n.port !== port && primaries(n.port).includes(n.port))!;
  kill(node.name);
  await eventually(() => !primaries(other.port).includes(port) && primaries(other.port).length === 3 && /cluster_state:ok/.test(cli(other.port, 'CLUSTER', 'INFO')), {
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  startRedisNode(node);
}
