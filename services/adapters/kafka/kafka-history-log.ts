import type { Kafka, Producer } from 'kafkajs';
import { toInterestStreamError } from '../../domain/errors.js';
import type { HistoryLog, HistoryMessage, ShardHistoryWriter } from '../../domain/ports/index.js';
import { producerConfig } from './kafka-client.js';

/**
 * HistoryLog on Kafka transactions: a fresh producer with the shard's transactional id per opened
 * shard. Initialising it bumps the producer epoch, which aborts a crashed holder's open transaction
 * (unblocking read_committed readers) and fences a paused one, so only the current lease holder can
 * commit snapshots for the shard.
 */
export class KafkaHistoryLog implements HistoryLog {
  constructor(
    private readonly kafka: Pick<Kafka, 'producer'>,
    private readonly topic: string,
    /** Kafka transactional id of a shard (services/core/names.ts snapshotTransactionalId). */
    private readonly transactionalId: (shard: number) => string,
  ) {}

  async openShard(shard: number): Promise<ShardHistoryWriter> {
    const producer = this.kafka.producer(producerConfig({ transactionalId: this.transactionalId(shard) }));
    await producer.connect();
    try {
      await fence(producer);
    } catch (e) {
      await producer.disconnect().catch(() => undefined);
      throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
    }
    let closed: Promise<void> | undefined;
    return {
      commit: (messages) => commitTransaction(producer, this.topic, messages),
      close: () => (closed ??= producer.disconnect()),
    };
  }
}

/** kafkajs initialises the transactional producer id with the first transaction; an empty one does it now. */
async function fence(producer: Producer): Promise<void> {
  const tx = await producer.transaction();
  await tx.abort();
}

async function commitTransaction(producer: Producer, topic: string, messages: readonly HistoryMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const tx = await producer.transaction();
  try {
    await tx.send({ topic, messages: [...messages] });
    await tx.commit();
  } catch (e) {
    await tx.abort().catch(() => undefined);
    throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
  }
}
