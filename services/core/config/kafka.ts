import type { Reader } from './reader.js';

/** TLS and SASL towards managed brokers (issue 14); what `kafkaSecurity` (adapters/kafka) turns into client options. */
export interface KafkaSecuritySettings {
  /** KAFKA_SSL: connect to the brokers over TLS. Default false. */
  readonly kafkaSsl: boolean;
  /** KAFKA_SSL_CA_FILE: PEM file of the CA that signed the brokers' certificates (default: the system's CAs). */
  readonly kafkaSslCaFile: string | undefined;
  /** KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: PEM client certificate and key, for brokers that require mutual TLS (both or neither). */
  readonly kafkaSslCertFile: string | undefined;
  readonly kafkaSslKeyFile: string | undefined;
  /** KAFKA_SASL_MECHANISM: `plain`, `scram-sha-256` or `scram-sha-512`; unset means no SASL. */
  readonly kafkaSaslMechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  /** KAFKA_SASL_USERNAME: the SASL user (needed with a mechanism). */
  readonly kafkaSaslUsername: string | undefined;
  /**
   * KAFKA_SASL_PASSWORD, or KAFKA_SASL_PASSWORD_FILE naming a file whose content (trailing newline
   * removed) is the password, e.g. a mounted secret. Exactly one with a mechanism. Never logged.
   */
  readonly kafkaSaslPassword: string | undefined;
}

/** How to reach the brokers: everything `kafkaForConfig` (adapters/kafka) needs to build a client. */
export interface KafkaSettings extends KafkaSecuritySettings {
  /** KAFKA_BROKERS: comma-separated host:port list. Default `127.0.0.1:19092` (the native stack). */
  readonly kafkaBrokers: readonly string[];
  /** KAFKA_CLIENT_ID: client id reported to the broker. Default `interest-stream`. */
  readonly kafkaClientId: string;
  /**
   * KAFKA_SESSION_TIMEOUT_MS: how long a consumer group waits for a silent member (crashed, killed,
   * frozen) before its partitions move to the others: the longest a partition can stand still after
   * a member dies. Heartbeats go every third of it (at most every 3 s). Default 30000 (kafkajs'
   * own); the broker accepts 6000 to 1800000 by default (group.min/max.session.timeout.ms). Lower
   * it for faster failover, at the price of rebalances on long GC or network pauses.
   */
  readonly kafkaSessionTimeoutMs: number;
}

export function readKafkaSettings(r: Reader): KafkaSettings {
  return {
    kafkaBrokers: readBrokers(r),
    kafkaClientId: r.str('KAFKA_CLIENT_ID', 'interest-stream'),
    kafkaSessionTimeoutMs: r.int('KAFKA_SESSION_TIMEOUT_MS', 30_000, 1_000, 1_800_000),
    ...readKafkaSecurity(r),
  };
}

function readBrokers(r: Reader): string[] {
  const brokers = r
    .str('KAFKA_BROKERS', '127.0.0.1:19092')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const b of brokers) {
    if (!/^[^:\s]+:\d+$/.test(b)) r.problems.push(`KAFKA_BROKERS: ${JSON.stringify(b)} is not host:port`);
  }
  return brokers;
}

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** TLS and SASL settings; the password may come from a file (read here, once). */
function readKafkaSecurity(r: Reader): KafkaSecuritySettings {
  const kafkaSslCertFile = r.optional('KAFKA_SSL_CERT_FILE');
  const kafkaSslKeyFile = r.optional('KAFKA_SSL_KEY_FILE');
  if ((kafkaSslCertFile === undefined) !== (kafkaSslKeyFile === undefined)) r.problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: set both or neither');
  const mechanismRaw = r.optional('KAFKA_SASL_MECHANISM');
  const kafkaSaslMechanism = mechanismRaw === undefined ? undefined : r.oneOf('KAFKA_SASL_MECHANISM', 'plain', SASL_MECHANISMS);
  const kafkaSaslUsername = r.optional('KAFKA_SASL_USERNAME');
  const kafkaSaslPassword = r.secret('KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE');
  if (kafkaSaslMechanism !== undefined && (kafkaSaslUsername === undefined || kafkaSaslPassword === undefined)) {
    r.problems.push(`KAFKA_SASL_MECHANISM=${kafkaSaslMechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)`);
  }
  return {
    kafkaSsl: r.bool('KAFKA_SSL', false),
    kafkaSslCaFile: r.optional('KAFKA_SSL_CA_FILE'),
    kafkaSslCertFile,
    kafkaSslKeyFile,
    kafkaSaslMechanism,
    kafkaSaslUsername,
    kafkaSaslPassword,
  };
}
