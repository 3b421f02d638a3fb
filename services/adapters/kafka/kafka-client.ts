import { readPem } from '../pem.js';
import { Kafka, Partitioners, logLevel, type ICustomPartitioner, type KafkaConfig, type LogEntry, type ProducerConfig, type SASLOptions } from 'kafkajs';
import type { KafkaSecuritySettings, KafkaSettings } from '../../core/config.js';
import { InterestStreamError } from '../../domain/errors.js';
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

/** TLS and SASL options of a Kafka client, as kafkajs takes them. */
export type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

export function createKafka(opts: { brokers: readonly string[]; clientId: string; logger: Logger; security?: KafkaSecurity }): Kafka {
  // The partitioner warning is about kafkajs' own default changing in v2; we rely on the default
  // (murmur2, Java-compatible) so producers in other languages place a user on the same partition.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return new Kafka({
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(opts.logger),
    retry: { initialRetryTime: 200, retries: 8 },
    ...opts.security,
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
    createPartitioner: userKeyPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER },
    ...extra,
  };
}

/**
 * kafkajs' default (Java-compatible murmur2) partitioner over the key up to its first `{`: a history
 * snapshot key `<userId>{<generation>:<slot>}` (names.ts) lands on its user's partition, so every
 * record of a user — snapshots, their compaction tombstones, the erase marker — stays in order.
 * Ids never contain braces, and only string keys are read (the DLQ's byte keys go untouched), so
 * every other key partitions exactly as before.
 */
export const userKeyPartitioner: ICustomPartitioner = () => {
  const partition = Partitioners.DefaultPartitioner();
  return (args) => {
    const key = args.message.key;
    const brace = typeof key === 'string' ? key.indexOf('{') : -1;
    return partition(brace < 0 ? args : { ...args, message: { ...args.message, key: (key as string).slice(0, brace) } });
  };
};

/** The one way services build their Kafka client: brokers, client id and security from configuration. */
export function kafkaForConfig(config: KafkaSettings, logger: Logger, clientId: string = config.kafkaClientId): Kafka {
  return createKafka({ brokers: config.kafkaBrokers, clientId, logger, security: kafkaSecurity(config) });
}

/** KAFKA_SSL* and KAFKA_SASL_* as client options; certificate files are read here, once. */
export function kafkaSecurity(config: KafkaSecuritySettings): KafkaSecurity {
  const tls = {
    ...(config.kafkaSslCaFile ? { ca: [readPem('KAFKA_SSL_CA_FILE', config.kafkaSslCaFile)] } : {}),
    ...(config.kafkaSslCertFile ? { cert: readPem('KAFKA_SSL_CERT_FILE', config.kafkaSslCertFile) } : {}),
    ...(config.kafkaSslKeyFile ? { key: readPem('KAFKA_SSL_KEY_FILE', config.kafkaSslKeyFile) } : {}),
  };
  const ssl = config.kafkaSsl ? (Object.keys(tls).length > 0 ? tls : true) : undefined;
  const mechanism = config.kafkaSaslMechanism;
  const sasl = mechanism === undefined ? undefined : ({ mechanism, username: config.kafkaSaslUsername ?? '', password: config.kafkaSaslPassword ?? '' } as SASLOptions);
  return { ...(ssl === undefined ? {} : { ssl }), ...(sasl === undefined ? {} : { sasl }) };
}

/**
 * A Kafka failure at start-up that no retry can cure, as one coded error naming the setting to fix;
 * undefined for anything else. kafkajs does not retry a refused SASL authentication, so a wrong
 * password surfaces here at once, also when a command wrapped it (its `cause` chain is searched).
 */
export function kafkaStartupError(e: unknown): InterestStreamError | undefined {
  let error = e as { name?: unknown; message?: unknown; cause?: unknown } | null | undefined;
  while (error && error.name !== 'KafkaJSSASLAuthenticationError') error = error.cause as typeof error;
  if (error) {
    return new InterestStreamError('CONFIG_INVALID', `Kafka refused the SASL credentials (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD): ${String(error.message)}`, { cause: e });
  }
  return undefined;
}
