import { describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../../../services/core/events.js';
import { emptyUserState } from '../../../services/domain/fold.js';
import type { UserState } from '../../../services/domain/types.js';
import { shardOfUser } from '../../../services/adapters/redis/redis-dirty-users.js';
import { toHistoryChange } from '../../../services/snapshotter/history-fold.js';
import { frameRecord, historyMessage, recordFor, unframeRecords } from '../../../services/core/history-records.js';
import { splitAtWindows } from '../../../services/ingest/history-boundaries.js';

const state: UserState = {
  ...emptyUserState('u1'),
  vector: Float32Array.of(0.6, 0.8),
  eventCount: 7,
  watermark: { partition: 2, offset: '41' },
};

describe('recordFor', () => {
  it('snapshots a user with a vector: their vector, event count and watermark, stamped at the end of the window', () => {
    const r = recordFor(state, 12, 'g1', 1_000)!;
    expect(r.userId).toBe('u1');
    expect(decodeSnapshot(r.value!)).toEqual({
      userId: 'u1',
      vector: Float32Array.of(0.6, 0.8),
      takenAt: 12_999,
      eventCount: 7,
      watermarkPartition: 2,
      watermarkOffset: '41',
      generation: 'g1',
      window: 12,
    });
  });

  it('gives the same bytes whoever emits it: nothing but the state and the window goes in', () => {
    expect(recordFor({ ...state }, 4, 'g1', 1_000)!.value!.equals(recordFor(state, 4, 'g1', 1_000)!.value!)).toBe(true);
  });

  it('gives nothing for an erased user: the erasure tombstones their history itself', () => {
    expect(recordFor({ ...state, vector: null, erased: true }, 3, 'g1', 0)).toBeNull();
  });

  it('gives nothing for a user with no vector yet (only dislikes)', () => {
    expect(recordFor({ ...state, vector: null }, 3, 'g1', 0)).toBeNull();
  });
});

describe('historyMessage', () => {
  it('keys a snapshot by user, generation and window slot, and an erase marker by the user', () => {
    expect(historyMessage(recordFor(state, 12, 'g1', 1_000)!, 5).key).toBe('u1{g1:2}');
    expect(historyMessage(recordFor(state, 17, 'g1', 1_000)!, 5).key).toBe('u1{g1:2}');
    expect(historyMessage({ userId: 'u1', value: null }, 5)).toEqual({ key: 'u1', value: null });
  });
});

describe('pending record frames', () => {
  it('round-trips a snapshot followed by an erase marker, concatenated as Lua appends them', () => {
    const snapshot = recordFor(state, 5, 'g1', 99)!;
    const frames = Buffer.concat([frameRecord(snapshot), frameRecord({ userId: 'u1', value: null })]);
    const back = unframeRecords('u1', frames);
    expect(back).toHaveLength(2);
    expect(Buffer.compare(back[0]!.value!, snapshot.value!)).toBe(0);
    expect(back[1]).toEqual({ userId: 'u1', value: null });
  });

  it('rejects a truncated frame instead of sending half a record', () => {
    const frame = frameRecord(recordFor(state, 5, 'g1', 99)!);
    expect(() => unframeRecords('u1', frame.subarray(0, frame.length - 1))).toThrow(/bad frame/);
    expect(() => unframeRecords('u1', frame.subarray(0, 3))).toThrow(/truncated/);
  });
});

describe('history records as the fold reads them', () => {
  it('reads a null value as the erasure of the key\'s user and rejects one without a key', () => {
    expect(toHistoryChange(Buffer.from('u9'), null)).toEqual({ kind: 'erase', userId: 'u9' });
    expect(toHistoryChange(Buffer.from('u9{g1:4}'), null)).toEqual({ kind: 'compaction', userId: 'u9' });
    expect(() => toHistoryChange(null, null)).toThrow(/without a user key/);
  });
});

describe('shardOfUser', () => {
  it('is FNV-1a of the UTF-8 id modulo the shard count (stable across processes)', () => {
    // FNV-1a 32-bit of "a" is 0xe40c292c.
    expect(shardOfUser('a', 1 << 16)).toBe(0xe40c292c % (1 << 16));
    expect(shardOfUser('a', 16)).toBe(0xe40c292c % 16);
  });

  it('spreads users over every shard', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 1600; i++) counts[shardOfUser(`user-${i}`, 16)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(50);
  });
});

describe('splitAtWindows', () => {
  const at = (occurredAt: number) => ({ event: { occurredAt } });

  it('closes the current window before the first event stamped in a later one, and never for a late event', () => {
    const segments = splitAtWindows(1_500, [at(1_600), at(2_100), at(1_900), at(2_200), at(5_000)], 1_000);
    expect(segments.map((s) => ({ closes: s.closes, times: s.inputs.map((i) => i.event.occurredAt) }))).toEqual([
      { closes: 1, times: [1_600] },
      { closes: 2, times: [2_100, 1_900, 2_200] },
      { closes: undefined, times: [5_000] },
    ]);
  });

  it('closes the stored state’s window when the batch’s first event is already later', () => {
    expect(splitAtWindows(999, [at(1_000)], 1_000).map((s) => [s.closes, s.inputs.length])).toEqual([
      [0, 0],
      [undefined, 1],
    ]);
  });
});
