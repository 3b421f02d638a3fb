import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { InteractionPublisher } from '../../../services/adapters/kafka/interaction-publisher.js';
import { InterestStreamError } from '../../../services/domain/errors.js';

/** A Kafka whose producer records sends and answers them with `answer` (never, by default). */
function fakeKafka(answer: () => Promise<unknown> = () => new Promise(() => {})): { kafka: Kafka; sends: unknown[] } {
  const sends: unknown[] = [];
  const producer = {
    connect: async () => {},
    disconnect: async () => {},
    send: (record: unknown) => {
      sends.push(record);
      return answer();
    },
  };
  return { kafka: { producer: () => producer } as unknown as Kafka, sends };
}

async function rejection(p: Promise<unknown>): Promise<InterestStreamError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof InterestStreamError)) throw new Error(`expected an InterestStreamError, got ${String(e)}`);
  return e;
}

describe('InteractionPublisher', () => {
  it('refuses ids that break the id rule before sending anything', async () => {
    const { kafka, sends } = fakeKafka(async () => []);
    const publisher = new InteractionPublisher({ kafka, topic: 't' });
    await publisher.start();
    const brace = await rejection(publisher.publish([{ userId: 'a{b}', itemId: 'i', type: 'VIEW' }]));
    expect([brace.code, brace.details.field]).toEqual(['INVALID_USER_ID', 'userId']);
    const long = await rejection(publisher.publish([{ userId: 'ok', itemId: 'i'.repeat(257), type: 'VIEW' }]));
    expect([long.code, long.message]).toEqual(['INVALID_ITEM_ID', 'invalid InteractionEvent: itemId is 257 characters long, at most 256 allowed']);
    expect(sends).toEqual([]);
  });

  it('gives up on a send after timeoutMs with a retryable BROKER_UNAVAILABLE naming the topic', async () => {
    const { kafka } = fakeKafka();
    const publisher = new InteractionPublisher({ kafka, topic: 'interactions', timeoutMs: 50 });
    await publisher.start();
    const started = Date.now();
    const e = await rejection(publisher.publish([{ userId: 'u', itemId: '', type: 'ERASE' }]));
    expect(Date.now() - started).toBeLessThan(1000);
    expect([e.code, e.retryable, e.message, e.details.timeoutMs]).toEqual(['BROKER_UNAVAILABLE', true, 'publishing to interactions did not complete within 50 ms', 50]);
  });
});
