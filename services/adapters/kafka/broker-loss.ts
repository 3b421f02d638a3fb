import type { Logger } from '../../core/logger.js';

/**
 * Riding through the loss of one broker. kafkajs retries most requests itself, but some admin calls
 * give up at the first connection error (fetchTopicOffsets and describeConfigs `bail` on anything but
 * an unknown topic, and a fresh connection to a dead leader is never retried below them), and a
 * starting process would exit on it. These helpers retry such calls while the cluster moves the
 * partitions' leadership to the brokers still up, or the lost one comes back.
 */

/** How long a call is retried before its error is let through (a broker restart, a leader election). */
export const BROKER_LOSS_RETRY_MS = 90_000;

/**
 * Whether an error (or one it was caused by) is a kafkajs error a retry can cure: a refused or
 * closed connection, a timed-out request, a leader or coordinator moving. A refused SASL
 * authentication or any other non-retriable error is not.
 */
export function isBrokerLoss(e: unknown): boolean {
  for (let x = e as { name?: unknown; retriable?: unknown; cause?: unknown } | undefined, depth = 0; x && depth < 8; x = x.cause as typeof x, depth++) {
    if (x.name === 'KafkaJSSASLAuthenticationError') return false;
    if (typeof x.name === 'string' && x.name.startsWith('KafkaJS') && x.retriable === true) return true;
    if (x.name === 'KafkaJSNumberOfRetriesExceeded' || x.name === 'KafkaJSConnectionError' || x.name === 'KafkaJSConnectionClosedError') return true;
  }
  return false;
}

/**
 * Runs `attempt` again (with backoff, up to `deadlineMs` in all) while it fails with a broker loss;
 * `attempt` should open its own admin client, so each retry starts from fresh cluster metadata.
 */
export async function retryOnBrokerLoss<T>(what: string, attempt: () => Promise<T>, logger: Logger, deadlineMs = BROKER_LOSS_RETRY_MS): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let failures = 1; ; failures++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isBrokerLoss(e) || Date.now() >= deadline) throw e;
      const waitMs = Math.min(5_000, 250 * 2 ** Math.min(failures, 5));
      logger.warn({ err: e, retryInMs: waitMs, failures }, `${what}: a Kafka broker is unreachable; retrying`);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}
