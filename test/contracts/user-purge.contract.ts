/**
 * The UserPurge conformance suite (what an erasure does to one generation's hot stores): the fake
 * built over the in-memory stores and the Redis script run it unchanged. Each implementation comes
 * with the stores it purges, to set the scene and look at the result through their ports.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryStore, UserPurge, UserStateStore } from '../../services/domain/ports/index.js';
import { emptyUserState } from '../../services/domain/fold.js';
import { tombstoneOf } from '../../services/domain/tombstone.js';
import type { UserState, Watermark } from '../../services/domain/types.js';
import { unique } from '../support/names.js';
import { snap } from './history-store.contract.js';

export interface UserPurgeUnderTest {
  readonly purge: UserPurge;
  readonly states: UserStateStore;
  readonly history: HistoryStore;
}

/** Offsets beyond 2^53: compared as decimal numbers, never as doubles. */
const BIG = '9007199254740993';

function live(userId: string, watermark: Watermark): UserState {
  return { ...emptyUserState(userId), vector: new Float32Array([0.6, 0.8]), recentViews: ['i1'], seen: ['i1'], eventCount: 3, lastEventAt: 5_000, watermark };
}

export function describeUserPurgeContract(name: string, make: () => UserPurgeUnderTest): void {
  describe(`UserPurge contract: ${name}`, () => {
    it('puts the tombstone over an older state and removes the history, saying what there was', async () => {
      const { purge, states, history } = make();
      const user = unique('p');
      await states.putMany([live(user, { partition: 0, offset: '9007199254740992' })]);
      for (const window of [1, 2, 3]) await history.append(snap(user, window, 0.5));
      const tombstone = tombstoneOf({ userId: user, watermark: { partition: 0, offset: BIG }, at: 7_000 });
      expect(await purge.purge(tombstone)).toEqual({ hadState: true, historySnapshots: 3 });
      expect((await states.getMany([user])).get(user)).toEqual(tombstone);
      expect(await history.recent(user, 10)).toEqual([]);
    });

    it('writes the tombstone for a user it never held, and says so', async () => {
      const { purge, states } = make();
      const user = unique('never');
      const tombstone = tombstoneOf({ userId: user, watermark: { partition: 2, offset: '5' }, at: 1 });
      expect(await purge.purge(tombstone)).toEqual({ hadState: false, historySnapshots: 0 });
      expect((await states.getMany([user])).get(user)).toEqual(tombstone);
    });

    it('leaves a state at the same or a later position on the tombstone\'s partition (ingest folded the ERASE, or the user came back)', async () => {
      const { purge, states } = make();
      const [same, later] = [unique('same'), unique('later')];
      const sameState = tombstoneOf({ userId: same, watermark: { partition: 1, offset: '40' }, at: 1 });
      const laterState = live(later, { partition: 1, offset: '41' });
      await states.putMany([sameState, laterState]);
      expect(await purge.purge(tombstoneOf({ userId: same, watermark: { partition: 1, offset: '40' }, at: 1 }))).toMatchObject({ hadState: true });
      expect(await purge.purge(tombstoneOf({ userId: later, watermark: { partition: 1, offset: '40' }, at: 1 }))).toMatchObject({ hadState: true });
      expect((await states.getMany([later])).get(later)).toEqual(laterState);
      expect((await states.getMany([same])).get(same)).toEqual(sameState);
    });

    it('replaces a state whose position is on another partition (the topic gained partitions)', async () => {
      const { purge, states } = make();
      const user = unique('moved');
      await states.putMany([live(user, { partition: 3, offset: '900' })]);
      const tombstone = tombstoneOf({ userId: user, watermark: { partition: 1, offset: '2' }, at: 9 });
      expect(await purge.purge(tombstone)).toEqual({ hadState: true, historySnapshots: 0 });
      expect((await states.getMany([user])).get(user)).toEqual(tombstone);
    });
  });
}
