/**
 * Before a command that needs Kafka or Redis does anything, one TCP connect to each: when nothing
 * listens, the operator gets one line saying how to start the stack, instead of kafkajs retrying for
 * a minute and a socket stack trace.
 */
import { connect } from 'node:net';
import { InterestStreamError } from '../domain/errors.js';

export type StackPart = 'kafka' | 'redis';

const HOW = 'start the local stack with `npm run stack:up`, or point';

/** Resolves when a TCP connection to host:port opens within `timeoutMs`; false otherwise. */
export function reachable(hostPort: string, timeoutMs = 2000): Promise<boolean> {
  const at = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(hostPort.slice(at + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** host:port of a redis:// or rediss:// URL (port 6379 when absent). */
export function redisHostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '6379'}`;
}

/**
 * Throws BROKER_UNAVAILABLE / STORE_UNAVAILABLE naming the address and how to fix it when none of
 * the brokers, or Redis, accepts a connection.
 */
export async function assertStackReachable(parts: readonly StackPart[], endpoints: { kafkaBrokers: readonly string[]; redisUrl: string }): Promise<void> {
  if (parts.includes('kafka')) {
    const answers = await Promise.all(endpoints.kafkaBrokers.map((b) => reachable(b)));
    if (!answers.some(Boolean)) {
      throw new InterestStreamError('BROKER_UNAVAILABLE', `no Kafka broker answers at ${endpoints.kafkaBrokers.join(',')}: ${HOW} KAFKA_BROKERS at yours`);
    }
  }
  if (parts.includes('redis') && !(await reachable(redisHostPort(endpoints.redisUrl)))) {
    throw new InterestStreamError('STORE_UNAVAILABLE', `no Redis answers at ${redisHostPort(endpoints.redisUrl)}: ${HOW} REDIS_URL at yours`);
  }
}
