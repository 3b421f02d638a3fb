import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { EachBatchPayload } from 'kafkajs';
import { BatchConsumer, consumeBatch, toRecordBatch, type KafkaConnection } from '../../../services/adapters/kafka/batch-consumer.js';
import type { RecordBatch } from '../../../services/domain/log-records.js';
import { silentLogger } from '../../../services/core/logger.js';

const message = (offset: string, value: string | null, headers?: Record<string, string>) => ({
  offset,
  key: Buffer.from('u1'),
  value: value === null ? null : Buffer.from(value),
  timestamp: '1700000000123',
  attributes: 0,
  headers,
});

function kafkaBatch(messages: ReturnType<typeof message>[], lastOffset = messages.at(-1)?.offset ?? '0', partition = 3) {
  return { topic: 'interactions', partition, messages, lastOffset: () => lastOffset, offsetLag: () => '42' };
}

/** What consumeBatch needs of a kafkajs payload, recording what it was told. */
function payload(batch: ReturnType<typeof kafkaBatch>, stale = false) {
  const calls: string[] = [];
  return {
    calls,
    payload: {
      batch: batch as unknown as EachBatchPayload['batch'],
      isStale: () => stale,
      resolveOffset: (o: string) => void calls.push(`resolve ${o}`),
      heartbeat: async () => void calls.push('heartbeat'),
    },
  };
}

describe('toRecordBatch', () => {
  it('hands the records over in plain types, each with its topic, partition and timestamp in ms', () => {
    const b = toRecordBatch(kafkaBatch([message('10', 'a', { traceparent: 'x' }), message('11', null)], '12') as never);
    expect(b).toEqual({
      topic: 'interactions',
      partition: 3,
      lastOffset: '12',
      lag: 42,
      records: [
        { topic: 'interactions', partition: 3, offset: '10', key: Buffer.from('u1'), value: Buffer.from('a'), headers: { traceparent: 'x' }, timestamp: 1700000000123 },
        { topic: 'interactions', partition: 3, offset: '11', key: Buffer.from('u1'), value: null, headers: undefined, timestamp: 1700000000123 },
      ],
    });
  });
});

describe('consumeBatch', () => {
  it('resolves the batch up to its last offset and heartbeats only after the handler is done', async () => {
    const { calls, payload: p } = payload(kafkaBatch([message('5', 'a'), message('6', 'b')], '7'));
    await consumeBatch(p, async (batch) => void calls.push(`handle ${batch.records.map((r) => r.offset).join(',')}`));
    expect(calls).toEqual(['handle 5,6', 'resolve 7', 'heartbeat']);
  });

  it('hands over neither an empty nor a stale batch, and resolves nothing for them', async () => {
    const handled: RecordBatch[] = [];
    const empty = payload(kafkaBatch([], '9'));
    const stale = payload(kafkaBatch([message('5', 'a')]), true);
    await consumeBatch(empty.payload, async (b) => void handled.push(b));
    await consumeBatch(stale.payload, async (b) => void handled.push(b));
    expect(handled).toEqual([]);
    expect([...empty.calls, ...stale.calls]).toEqual([]);
  });

  it('leaves a batch whose handler failed unresolved, so it is fetched again', async () => {
    const { calls, payload: p } = payload(kafkaBatch([message('5', 'a')]));
    await expect(consumeBatch(p, () => Promise.reject(new Error('redis down')))).rejects.toThrow('redis down');
    expect(calls).toEqual([]);
  });
});

/** A kafkajs client whose one consumer records what it is asked, and lets the test deliver batches and group joins. */
function fakeKafka() {
  const calls: string[] = [];
  const emitter = new EventEmitter();
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const consumer = {
    events: { GROUP_JOIN: 'join', REBALANCING: 'rebalancing', STOP: 'stop', CRASH: 'crash' },
    on: (e: string, f: (x: unknown) => void) => emitter.on(e, f),
    connect: async () => void calls.push('connect'),
    subscribe: async (s: { topic: string; fromBeginning: boolean }) => void calls.push(`subscribe ${s.topic} ${s.fromBeginning}`),
    run: async (r: { autoCommit: boolean; partitionsConsumedConcurrently: number; eachBatch: (p: EachBatchPayload) => Promise<void> }) => {
      calls.push(`run autoCommit=${r.autoCommit}${r.partitionsConsumedConcurrently === 1 ? '' : ` partitionsConsumedConcurrently=${r.partitionsConsumedConcurrently}`}`);
      eachBatch = r.eachBatch;
    },
    pause: (t: Array<{ topic: string }>) => void calls.push(`pause ${t.map((x) => x.topic).join()}`),
    resume: (t: Array<{ topic: string }>) => void calls.push(`resume ${t.map((x) => x.topic).join()}`),
    commitOffsets: async (o: Array<{ partition: number; offset: string }>) => void calls.push(`commit ${o.map((x) => `${x.partition}@${x.offset}`).join(',')}`),
    disconnect: async () => void calls.push('disconnect'),
  };
  const configs: unknown[] = [];
  const kafka = {
    consumer: (config: unknown) => {
      configs.push(config);
      return consumer;
    },
    admin: () => ({}),
  } as unknown as KafkaConnection;
  const deliver = (b: ReturnType<typeof kafkaBatch>) => eachBatch!(payload(b).payload as unknown as EachBatchPayload);
  const join = (assignment: Record<string, number[]>) => emitter.emit('join', { payload: { memberAssignment: assignment } });
  return { kafka, calls, deliver, join, configs };
}

const options = { groupId: 'g', topic: 'interactions', maxWaitTimeInMs: 100, logger: silentLogger() } as const;

describe('BatchConsumer', () => {
  it('joins from the beginning of the topic and commits itself only in auto mode', async () => {
    for (const commits of ['manual', 'auto'] as const) {
      const { kafka, calls } = fakeKafka();
      await new BatchConsumer(kafka, { ...options, commits }).start(async () => {});
      expect(calls).toEqual(['connect', 'subscribe interactions true', `run autoCommit=${commits === 'auto'}`]);
    }
  });

  it('joins with the session timeout it is given (KAFKA_SESSION_TIMEOUT_MS), heartbeating at a third of it, at most every 3 s; kafkajs\' defaults without one', async () => {
    const joined = async (sessionTimeoutMs?: number) => {
      const { kafka, configs } = fakeKafka();
      await new BatchConsumer(kafka, { ...options, commits: 'manual', ...(sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs }) }).start(async () => {});
      return configs;
    };
    expect(await joined(10_000)).toEqual([{ groupId: 'g', maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 3_000 }]);
    expect(await joined(6_000)).toEqual([{ groupId: 'g', maxWaitTimeInMs: 100, sessionTimeout: 6_000, heartbeatInterval: 2_000 }]);
    expect(await joined()).toEqual([{ groupId: 'g', maxWaitTimeInMs: 100 }]);
  });

  it('pauses and resumes its topic, and never resumes once closing', async () => {
    const { kafka, calls } = fakeKafka();
    const consumer = new BatchConsumer(kafka, { ...options, commits: 'manual' });
    await consumer.start(async () => {});
    calls.length = 0;
    consumer.pause();
    consumer.resume();
    await consumer.close();
    consumer.resume();
    expect(calls).toEqual(['pause interactions', 'resume interactions', 'pause interactions', 'disconnect']);
  });

  it('closes once: stops fetching, lets the batch in flight finish, runs beforeLeave, then leaves the group', async () => {
    const { kafka, calls, deliver } = fakeKafka();
    let release: () => void = () => {};
    const consumer = new BatchConsumer(kafka, { ...options, commits: 'manual', beforeLeave: async () => void calls.push('drained') });
    await consumer.start(async (b) => {
      calls.push(`handling ${b.records[0]!.offset}`);
      await new Promise<void>((r) => (release = r));
      calls.push('handled');
    });
    calls.length = 0;
    const inFlight = deliver(kafkaBatch([message('1', 'a')]));
    const closing = consumer.close();
    expect(consumer.close()).toBe(closing);
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual(['handling 1', 'pause interactions']);
    release();
    await Promise.all([inFlight, closing]);
    await deliver(kafkaBatch([message('2', 'b')]));
    expect(calls).toEqual(['handling 1', 'pause interactions', 'handled', 'drained', 'disconnect']);
  });

  it('with partitionsConcurrently, hands kafkajs that many partitions at once, and closes only after every batch in flight', async () => {
    const { kafka, calls, deliver } = fakeKafka();
    const releases: Array<() => void> = [];
    const consumer = new BatchConsumer(kafka, { ...options, commits: 'manual', partitionsConcurrently: 3, beforeLeave: async () => void calls.push('drained') });
    await consumer.start(async (b) => {
      calls.push(`handling p${b.partition}`);
      await new Promise<void>((r) => releases.push(r));
      calls.push(`handled p${b.partition}`);
    });
    expect(calls).toEqual(['connect', 'subscribe interactions true', 'run autoCommit=false partitionsConsumedConcurrently=3']);
    calls.length = 0;
    const first = deliver(kafkaBatch([message('1', 'a')], '1', 0));
    const second = deliver(kafkaBatch([message('7', 'b')], '7', 1));
    const closing = consumer.close();
    await new Promise((r) => setTimeout(r, 10));
    releases[1]!();
    await second;
    await new Promise((r) => setTimeout(r, 10));
    // One batch is still being handled: the group is not left yet.
    expect(calls).toEqual(['handling p0', 'handling p1', 'pause interactions', 'handled p1']);
    releases[0]!();
    await Promise.all([first, closing]);
    expect(calls.slice(4)).toEqual(['handled p0', 'drained', 'disconnect']);
  });

  it('commits through commitOwned only the partitions the group last assigned to it', async () => {
    const { kafka, calls, join } = fakeKafka();
    let joins = 0;
    const consumer = new BatchConsumer(kafka, { ...options, commits: 'manual', onAssigned: () => joins++ });
    await consumer.start(async () => {});
    const point = (partition: number) => ({ topic: 'interactions', partition, offset: '8' });
    expect(await consumer.commitOwned([point(0)])).toEqual({ committed: [], dropped: 1 });
    join({ interactions: [0, 2] });
    expect(joins).toBe(1);
    expect(await consumer.commitOwned([point(0), point(1), point(2)])).toEqual({ committed: [point(0), point(2)], dropped: 1 });
    expect(calls.filter((c) => c.startsWith('commit'))).toEqual(['commit 0@8,2@8']);
  });
});

describe('BatchConsumer closed before it started', () => {
  it('never joins the group', async () => {
    const { kafka, calls } = fakeKafka();
    const consumer = new BatchConsumer(kafka, { ...options, commits: 'manual' });
    await consumer.close();
    await consumer.start(async () => {});
    expect(calls).toEqual([]);
  });
});
