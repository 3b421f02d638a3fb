import { Kafka, logLevel, type LogEntry } from 'kafkajs';
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
