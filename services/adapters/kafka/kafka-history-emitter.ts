import type { Producer } from 'kafkajs';
import type { Config } from '../../core/config.js';
import { InterestStreamError } from '../../domain/errors.js';
import type { DeadLetter, HistoryEmitter, HistoryMessage, SnapshotClaims } from '../../domain/ports/index.js';
import type { DeadLetterPublisher } from './dead-letters.js';
import { DEFAULT_MAX_MESSAGE_BYTES, chunkMessages, recordBytes, usableBytes } from './sized-sends.js';
import { historyMessage } from '../../core/history-records.js';

/**
 * Window-boundary snapshots go to the history topic through the (idempotent) DLQ producer, in sends
 * under the topic's max.message.bytes; a record that cannot fit at all is dead-lettered instead.
 */
export function historyEmitter(
  config: Pick<Config, 'historyTopic' | 'snapshotIntervalMs' | 'generation' | 'historySize'>,
  producer: Producer,
  claims: SnapshotClaims,
  sizes: { deadLetters: DeadLetterPublisher; maxMessageBytes: ReadonlyMap<string, number> },
): HistoryEmitter {
  const limit = usableBytes(sizes.maxMessageBytes.get(config.historyTopic) ?? DEFAULT_MAX_MESSAGE_BYTES);
  return {
    intervalMs: config.snapshotIntervalMs,
    generation: config.generation,
    emitted: (userIds) => claims.snapshotted(userIds),
    send: async (records) => {
      const all = records.map((r) => historyMessage(r, config.historySize));
      const fits = (m: HistoryMessage) => recordBytes(m) <= limit;
      await sizes.deadLetters.send(all.filter((m) => !fits(m)).map((m) => oversizedLetter(config.historyTopic, m.key, m.value, limit)));
      await sendHistory(producer, config.historyTopic, all.filter(fits), limit);
    },
  };
}

/** Sends history messages in requests under the topic's max.message.bytes (`limit` usable). */
export async function sendHistory(producer: Producer, topic: string, messages: readonly HistoryMessage[], limit: number): Promise<void> {
  for (const chunk of chunkMessages([...messages], limit)) {
    await producer.send({ topic, messages: chunk });
  }
}

function oversizedLetter(topic: string, key: string, value: Buffer | null, limit: number): DeadLetter {
  const error = new InterestStreamError('INVALID_INPUT', `record of ${value?.length ?? 0} bytes does not fit ${topic}'s max.message.bytes (${limit} usable)`);
  return { topic, partition: -1, offset: '-1', key: Buffer.from(key), value, headers: undefined, error };
}
