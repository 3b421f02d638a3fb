import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { interactionCodec } from '../../services/core/events.js';
import { DLQ_HEADERS } from '../../services/adapters/kafka/dead-letters.js';
import type { InteractionEvent } from '../../services/domain/types.js';
import { eventually } from '../support/eventually.js';
import type { IngestHarness} from '../support/ingest-harness.js';
import { ingestSuite } from '../support/ingest-harness.js';
import { unique } from '../support/names.js';
import { workload } from '../support/workload.js';

// Written without validation, as a producer in another language (or an old version) could.
const raw = (e: InteractionEvent): Buffer => interactionCodec().encode(e);

describe('ingest: ids that break the id rule go to the dead-letter topic', () => {
  const w = workload({ seed: 5, items: 10, users: 1, events: 0, dimension: 4 });
  const suite = ingestSuite(w.items);
  const { h } = suite;

  it('dead-letters a 300-character and a brace userId (INVALID_USER_ID) and a brace itemId (INVALID_ITEM_ID), then folds what follows', async () => {
    await suite.startIngest();
    const userId = 'user-ok';
    const view = (eventId: string, user: string, itemId: string, at: number): InteractionEvent => ({ eventId, userId: user, itemId, type: 'VIEW', occurredAt: at, weight: 1 });
    const producer = h.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // One key, so one partition: the good events queue behind the bad ones.
    await producer.send({
      topic: h.config.interactionsTopic,
      messages: [
        view('bad-long', 'u'.repeat(300), 'item-1', 1),
        view('bad-brace', 'user-{x}', 'item-1', 2),
        view('bad-item', userId, 'item-}', 3),
        view('e-1', userId, 'item-1', 4),
        view('e-2', userId, 'item-2', 5),
      ].map((e) => ({ key: 'same-partition', value: raw(e) })),
    });
    await producer.disconnect();
    await h.drained();

    const dead = await readAll(h, `${h.config.interactionsTopic}.dlq`, 3);
    expect(dead.map((d) => d[DLQ_HEADERS.code])).toEqual(['INVALID_USER_ID', 'INVALID_USER_ID', 'INVALID_ITEM_ID']);
    expect(dead[0]![DLQ_HEADERS.message]).toContain('userId is 300 characters long, at most 256 allowed');
    expect(dead[1]![DLQ_HEADERS.message]).toContain('userId may not contain control characters or braces');
    const state = (await h.hotStates([userId])).get(userId)!;
    expect(state.eventCount).toBe(2);
    expect(state.recentViews).toEqual(['item-1', 'item-2']);
  });
});

async function readAll(h: IngestHarness, topic: string, count: number): Promise<Array<Record<string, string>>> {
  const consumer = h.kafka.consumer({ groupId: unique('dlq-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: Array<Record<string, string>> = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      out.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
    },
  });
  await eventually(() => out.length >= count, { timeoutMs: 30_000 });
  await consumer.disconnect();
  return out;
}
