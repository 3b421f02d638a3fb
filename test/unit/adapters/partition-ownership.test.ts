import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PartitionOwnership } from '../../../services/adapters/kafka/partition-ownership.js';

const events = { GROUP_JOIN: 'join', REBALANCING: 'rebalancing', STOP: 'stop', CRASH: 'crash' };

function consumer() {
  const emitter = new EventEmitter();
  return { emitter, fake: { events, on: (e: string, f: (x: unknown) => void) => emitter.on(e, f) } as never };
}

const point = (partition: number) => ({ topic: 't', partition, offset: '10' });

describe('PartitionOwnership', () => {
  it('keeps commits of assigned partitions only, and nothing between a rebalance and the next join', () => {
    const { emitter, fake } = consumer();
    let joins = 0;
    const owned = new PartitionOwnership(fake, () => joins++);
    expect(owned.keepOwned([point(0)])).toEqual({ keep: [], dropped: 1 });
    emitter.emit('join', { payload: { memberAssignment: { t: [0, 2] } } });
    expect(joins).toBe(1);
    expect(owned.keepOwned([point(0), point(1), point(2)])).toEqual({ keep: [point(0), point(2)], dropped: 1 });
    emitter.emit('rebalancing', {});
    expect(owned.keepOwned([point(0)])).toEqual({ keep: [], dropped: 1 });
    emitter.emit('join', { payload: { memberAssignment: { t: [1] } } });
    expect(owned.keepOwned([point(0), point(1)])).toEqual({ keep: [point(1)], dropped: 1 });
    expect(joins).toBe(2);
  });
});
