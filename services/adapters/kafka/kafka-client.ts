import { Kafka, Partitioners, logLevel, type LogEntry, type ProducerConfig } from 'kafkajs';
import type { Logger } from '../../core/logger.js';

/** kafkajs logs through the process' pino logger, at the matching level. */
function pinoLogCreator(logger: Logger) {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = log;
      if (level === logLevel.ERROR) child.error(rest, message);
      else if (level === logLevel.WARN) child.warn(rest, message);
      else if (level === logLevel.INFO) child.info(rest, message);
      else child.debug(rest, message);
    };
}

export function createKafka(opts: { brokers: readonly string[]; clientId: string; logger: Logger }): Kafka {
  // The partitioner warning is about kafkajs' own default changing in v2; we rely on the default
  // (murmur2, Java-compatible) so producers in other languages place a user on the same partition.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return new Kafka({
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(opts.logger),
    retry: { initialRetryTime: 200, retries: 8 },
  });
}

/**
 * The settings of every producer here: idempotent, one request in flight, murmur2 partitioning (as
 * Java clients use, so a user lands on the same partition whichever language produced). Idempotence
 * only holds while a failed send keeps being retried with the same sequence numbers, so retries are
 * not counted (kafkajs' own default for idempotent producers): the client-wide `retries` above would
 * otherwise apply and, as kafkajs warns, void the guarantee. Each retry still backs off (at most
 * maxRetryTime); `extra` adds what one producer needs on top, such as a transactionalId.
 */
export function producerConfig(extra: ProducerConfig = {}): ProducerConfig {
  return {
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER },
    ...extra,
  };
}
