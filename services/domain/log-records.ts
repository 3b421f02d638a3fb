import type { MessageHeaders } from './ports/dead-letters.js';

/**
 * Records of a partitioned log (Kafka) in plain types: what the consumer adapter
 * (adapters/kafka/batch-consumer.ts) hands the use cases, so that no client library type reaches them.
 */

/** One record as a use case reads it: where it sits in its partition, its key, value and headers. */
export interface LogRecord {
  readonly partition: number;
  /** The record's offset, in decimal (64-bit: kept as text). */
  readonly offset: string;
  readonly key: Buffer | null;
  /** Null for a tombstone. */
  readonly value: Buffer | null;
  readonly headers?: MessageHeaders;
}

/** A record as consumed, with its topic and the time the log stamped it. */
export interface ConsumedRecord extends LogRecord {
  readonly topic: string;
  /** Milliseconds since the epoch (the producer's or the broker's stamp, as the topic says). */
  readonly timestamp: number;
}

/** One fetched run of records of one partition, in offset order; never empty. */
export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumedRecord[];
  /** The batch's last offset (above its last record when the log skipped control records there). */
  readonly lastOffset: string;
  /** How many records the partition held beyond this batch when it was fetched. */
  readonly lag: number;
}

/** A position to commit: the next offset to consume in one partition. */
export interface LogPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}
