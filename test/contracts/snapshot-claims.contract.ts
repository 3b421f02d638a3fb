/**
 * The SnapshotClaims conformance suite: the per-user claim protocol that keeps ingest and the
 * snapshotters from emitting two different records for one (user, window), as a second instance or
 * one resuming a crash sees it. Claims check the user's state, so each implementation comes with the
 * UserStateStore it reads (`make()`: an empty pair).
 */
import { describe, expect, it } from 'vitest';
import { frameRecord, recordFor, unframeRecords } from '../../services/core/history-records.js';
import { emptyUserState } from '../../services/domain/fold.js';
import type { SnapshotClaims, UserStateStore } from '../../services/domain/ports/index.js';
import type { UserState } from '../../services/domain/types.js';

export interface SnapshotClaimsUnderTest {
  readonly claims: SnapshotClaims;
  /** The store whose states the claims check. */
  readonly states: UserStateStore;
}

let offset = 0;

/** Writes the user's next state (one more event) as ingest would, and returns it with its framed snapshot. */
async function writeNext(states: UserStateStore, userId: string, window: number): Promise<{ state: UserState; wm: string; frame: Buffer }> {
  const [before] = [...(await states.getMany([userId])).values()];
  const state: UserState = { ...emptyUserState(userId), vector: Float32Array.of(1, 0), eventCount: ++offset, watermark: { partition: 0, offset: String(offset) } };
  expect((await states.casMany([{ state, expected: before?.watermark ?? null }]))[0]!.ok).toBe(true);
  return { state, wm: `0:${offset}`, frame: frameRecord(recordFor(state, window, 'g1', offset)!) };
}

/** `crashed` claims the user's snapshot of `window` and never confirms; the state moves on and `resumer` claims `resumeWindow`. */
async function crashThenResume({ claims, states }: SnapshotClaimsUnderTest, userId: string, window: number, resumeWindow: number) {
  const s = await writeNext(states, userId, window);
  await claims.claim(userId, window, s.wm, 'crashed', s.frame);
  const newer = await writeNext(states, userId, resumeWindow);
  return { claims, s, newer, resumed: await claims.claim(userId, resumeWindow, newer.wm, 'resumer', newer.frame) };
}

export function describeSnapshotClaimsContract(name: string, make: () => SnapshotClaimsUnderTest): void {
  describe(`SnapshotClaims contract: ${name}`, () => {
    it('lets only one instance claim a (user, window); the other sees it done until the next window', async () => {
      const { claims, states } = make();
      const s = await writeNext(states, 'a', 10);
      expect(await claims.claim('a', 10, s.wm, 'one', s.frame)).toEqual({ status: 'send', records: s.frame, window: 10, watermark: s.wm });
      expect(await claims.confirm('a', 'one', 10)).toBe(true);
      const later = await writeNext(states, 'a', 10);
      expect((await claims.claim('a', 10, later.wm, 'two', later.frame)).status).toBe('done');
      expect((await claims.claim('a', 11, later.wm, 'two', later.frame)).status).toBe('send');
    });

    it('refuses a claim made from a state that moved on since it was read', async () => {
      const { claims, states } = make();
      const s = await writeNext(states, 'b', 10);
      await writeNext(states, 'b', 10);
      expect(await claims.claim('b', 10, s.wm, 'one', s.frame)).toEqual({ status: 'moved' });
    });

    it('reports an unchanged user once its snapshot is confirmed', async () => {
      const { claims, states } = make();
      const s = await writeNext(states, 'c', 10);
      await claims.claim('c', 10, s.wm, 'one', s.frame);
      await claims.confirm('c', 'one', 10);
      expect(await claims.claim('c', 11, s.wm, 'two', s.frame)).toEqual({ status: 'unchanged' });
    });

    it('reports a state already snapshotted as unchanged in its own window too (a redelivered batch marks it again), so its mark can go', async () => {
      const { claims, states } = make();
      const s = await writeNext(states, 'c2', 10);
      await claims.claim('c2', 10, s.wm, 'one', s.frame);
      await claims.confirm('c2', 'one', 10);
      expect(await claims.claim('c2', 10, s.wm, 'two', s.frame)).toEqual({ status: 'unchanged' });
    });

    it('resends the exact pending bytes when resuming in the same window, never a second version', async () => {
      const { claims, s, newer, resumed } = await crashThenResume(make(), 'd', 10, 10);
      expect(resumed).toEqual({ status: 'send', records: s.frame, window: 10, watermark: s.wm });
      expect(await claims.confirm('d', 'crashed', 10)).toBe(false);
      expect(await claims.confirm('d', 'resumer', 10)).toBe(true);
      expect((await claims.claim('d', 11, newer.wm, 'resumer', newer.frame)).status).toBe('send');
    });

    it('carries a pending snapshot of an earlier window in front of the new one, so neither window is lost', async () => {
      const { claims, s, newer, resumed } = await crashThenResume(make(), 'e', 10, 12);
      expect(resumed.status).toBe('send');
      if (resumed.status !== 'send') return;
      expect(unframeRecords('e', resumed.records).map((r) => r.value)).toEqual([unframeRecords('e', s.frame)[0]!.value, unframeRecords('e', newer.frame)[0]!.value]);
      expect(resumed.window).toBe(12);
      expect(await claims.confirm('e', 'resumer', 12)).toBe(true);
      expect(await claims.lastWindow('e')).toBe(12);
    });

    it('knows no window for a user never snapshotted, then the pending and the confirmed ones', async () => {
      const { claims, states } = make();
      expect(await claims.snapshotted(['x', 'y'])).toEqual(new Map([['x', -1], ['y', -1]]));
      expect(await claims.lastWindow('x')).toBe(-1);
      const s = await writeNext(states, 'x', 4);
      await claims.claim('x', 4, s.wm, 'one', s.frame);
      expect(await claims.snapshotted(['x', 'y'])).toEqual(new Map([['x', 4], ['y', -1]]));
      expect(await claims.lastWindow('x')).toBe(-1);
      expect(await claims.confirm('x', 'one', 3)).toBe(false);
      expect(await claims.confirm('x', 'one', 4)).toBe(true);
      expect(await claims.lastWindow('x')).toBe(4);
      expect(await claims.snapshotted(['x'])).toEqual(new Map([['x', 4]]));
    });
  });
}
