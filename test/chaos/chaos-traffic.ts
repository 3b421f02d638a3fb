import { encodeInteraction } from '../../services/core/events.js';
import type { IngestHarness } from '../support/ingest-harness.js';
import type { RefEvent } from '../support/reference-fold.js';
import { unique } from '../support/names.js';

/** A message ingest must dead-letter: garbage bytes or a view of an item not in the catalogue. */
export interface BadEvent {
  readonly key: string;
  readonly value: Buffer;
}

export function badEvents(userIds: readonly string[], count: number): BadEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const userId = userIds[i % userIds.length]!;
    const value =
      i % 2 === 0
        ? Buffer.from(`not avro ${i}`)
        : encodeInteraction({ eventId: `bad-${i}`, userId, itemId: `missing-item-${i}`, type: 'VIEW', occurredAt: 1, weight: 1 });
    return { key: userId, value };
  });
}

/**
 * Publishes the events in order over about `durationMs`, with the bad messages spread among them.
 * A send that fails (the broker is restarting) is retried: a copy that did land twice is an event
 * the fold recognises by its id, and a bad message twice is one more dead letter of the same bytes.
 */
export async function publishFlowing(h: IngestHarness, events: readonly RefEvent[], bad: readonly BadEvent[], durationMs: number): Promise<void> {
  const producer = h.kafka.producer();
  await connectWithRetry(() => producer.connect());
  const chunk = 40;
  const pause = durationMs / Math.ceil(events.length / chunk);
  try {
    for (let i = 0, b = 0; i < events.length; i += chunk, b++) {
      const slice = events.slice(i, i + chunk);
      await connectWithRetry(() => h.publisher.publish(slice));
      const one = bad[b];
      if (one) await connectWithRetry(() => producer.send({ topic: h.config.interactionsTopic, messages: [{ key: one.key, value: one.value }] }));
      await new Promise((r) => setTimeout(r, pause));
    }
    for (const one of bad.slice(Math.ceil(events.length / chunk))) {
      await connectWithRetry(() => producer.send({ topic: h.config.interactionsTopic, messages: [{ key: one.key, value: one.value }] }));
    }
  } finally {
    await producer.disconnect();
  }
}

async function connectWithRetry<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (attempt >= 60) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Every dead letter of the topic, by the hex of its value, with its headers. */
export async function readDeadLetters(h: IngestHarness, topic: string, atLeast: number): Promise<Map<string, Record<string, string>>> {
  const consumer = h.kafka.consumer({ groupId: unique('chaos-dlq') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out = new Map<string, Record<string, string>>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      out.set(message.value?.toString('hex') ?? '', headers);
    },
  });
  const deadline = Date.now() + 60_000;
  while (out.size < atLeast && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await consumer.disconnect();
  return out;
}
