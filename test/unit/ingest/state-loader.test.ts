import { describe, expect, it } from 'vitest';
import { emptyUserState } from '../../../services/domain/fold.js';
import type { UserStateStore, VectorPoint, VectorStore } from '../../../services/domain/ports/index.js';
import type { UserState } from '../../../services/domain/types.js';
import { toUserPoint } from '../../../services/core/user-record.js';
import { createIngestMetrics } from '../../../services/ingest/metrics.js';
import { loadUserStates, newest } from '../../../services/ingest/state-loader.js';
import { StateTrust } from '../../../services/ingest/state-trust.js';

const at = (userId: string, partition: number, offset: number): UserState => ({ ...emptyUserState(userId), eventCount: offset, watermark: { partition, offset: String(offset) } });

function sources(redis: UserState[], durable: UserState[], node: { id: string }) {
  const reads: string[][] = [];
  const states = { getMany: async (ids: readonly string[]) => new Map(redis.filter((s) => ids.includes(s.userId)).map((s) => [s.userId, s])) } as unknown as UserStateStore;
  const store = {
    get: async (_c: string, ids: readonly string[]) => {
      reads.push([...ids]);
      return new Map<string, VectorPoint>(durable.filter((s) => ids.includes(s.userId)).map((s) => [s.userId, toUserPoint(s, 2)]));
    },
  } as unknown as VectorStore;
  const trust = new StateTrust(async () => node.id);
  return { reads, trust, src: { states, store, usersCollection: 'users_g1', metrics: createIngestMetrics({ defaultMetrics: false }), trust } };
}

describe('loading user states under the trust rule', () => {
  it('checks an unknown Redis state against the durable store and takes the newer; trusts what it remembered', async () => {
    const node = { id: 'run-1' };
    const { src, reads, trust } = sources([at('old', 0, 4), at('fresh', 0, 9)], [at('old', 0, 7), at('fresh', 0, 2)], node);
    const first = await loadUserStates(src, ['old', 'fresh']);
    expect(first.states.get('old')!.eventCount).toBe(7);
    expect(first.states.get('fresh')!.eventCount).toBe(9);
    // The compare-and-set must still expect what Redis holds.
    expect(first.expected.get('old')).toEqual({ partition: 0, offset: '4' });
    expect(reads).toEqual([['old', 'fresh']]);

    trust.remember([at('old', 0, 4), at('fresh', 0, 9)]);
    await loadUserStates(src, ['old', 'fresh']);
    expect(reads).toHaveLength(1);
  });

  it('stops trusting everything when the node identity changes (restart, failover)', async () => {
    const node = { id: 'run-1' };
    const { src, reads, trust } = sources([at('u', 0, 3)], [at('u', 0, 8)], node);
    await loadUserStates(src, ['u']);
    trust.remember([at('u', 0, 3)]);
    await loadUserStates(src, ['u']);
    expect(reads).toHaveLength(1);
    node.id = 'run-2';
    const after = await loadUserStates(src, ['u']);
    expect(reads).toHaveLength(2);
    expect(after.states.get('u')!.eventCount).toBe(8);
  });

  it('does not trust a remembered user whose Redis watermark differs (old keys restored on the same node)', async () => {
    const node = { id: 'run-1' };
    const { src, reads, trust } = sources([at('u', 0, 3)], [at('u', 0, 8)], node);
    await loadUserStates(src, ['u']);
    trust.remember([at('u', 0, 8)]);
    const loaded = await loadUserStates(src, ['u']);
    expect(reads).toHaveLength(2);
    expect(loaded.states.get('u')!.eventCount).toBe(8);
  });

  it('prefers a state waiting for its durable write over an older Redis or durable one', async () => {
    const { src } = sources([at('u', 0, 3)], [at('u', 0, 5)], { id: 'n' });
    const loaded = await loadUserStates({ ...src, unflushed: () => new Map([['u', at('u', 0, 6)]]) }, ['u']);
    expect(loaded.states.get('u')!.eventCount).toBe(6);
  });

  it('keeps the first candidate when watermarks are on different partitions', () => {
    expect(newest([at('u', 1, 2), at('u', 0, 50)])!.watermark).toEqual({ partition: 1, offset: '2' });
    expect(newest([undefined, at('u', 0, 1), at('u', 0, 2)])!.eventCount).toBe(2);
    expect(newest([undefined, undefined])).toBeUndefined();
  });
});
