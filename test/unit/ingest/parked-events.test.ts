import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../services/ingest/batch-processor.js';
import { ParkingLot, splitForParking } from '../../../services/ingest/parked-events.js';

const rec = (offset: number): RawRecord => ({ partition: 0, offset: String(offset), key: null, value: null });
const ev = (offset: number, itemId: string, type: 'VIEW' | 'ERASE' = 'VIEW') => ({ record: rec(offset), event: { eventId: `e${offset}`, userId: 'u', itemId, type, occurredAt: 1, weight: 1 } });

describe('parking late catalogue items', () => {
  it('parks a user from the first unknown item on, and all of a user who already waits', () => {
    const events = [ev(1, 'a'), ev(2, 'missing'), ev(3, 'a'), ev(4, '', 'ERASE')];
    const known = (id: string) => id === 'a';
    const split = splitForParking(events, false, known);
    expect(split.fold.map((e) => e.record.offset)).toEqual(['1']);
    expect(split.park.map((e) => e.record.offset)).toEqual(['2', '3', '4']);
    expect(splitForParking([ev(5, 'a')], true, known).park).toHaveLength(1);
    expect(splitForParking([ev(5, 'a'), ev(6, '', 'ERASE')], false, known).park).toEqual([]);
  });

  it('holds commits at the lowest parked offset, retries with backoff and expires after the park time', () => {
    const lot = new ParkingLot(10_000);
    lot.park('t', 0, 'u1', [rec(7), rec(9)], 1000);
    lot.park('t', 0, 'u2', [rec(4)], 1000);
    lot.park('t', 1, 'u3', [rec(2)], 1000);
    expect(lot.lowestOffset('t', 0)).toBe(4n);
    expect(lot.lowestOffset('t', 2)).toBeUndefined();
    expect(lot.takeDue(1100)).toEqual([]);
    const due = lot.takeDue(1250);
    expect(due.map((d) => [d.partition, d.records.map((r) => r.offset), d.expired])).toEqual([[0, ['7', '9'], false], [0, ['4'], false], [1, ['2'], false]]);
    expect(lot.size).toBe(0);
    lot.repark('t', 0, 'u1', due[0]!.records, due[0]!.since, due[0]!.attempts, 1250);
    // Second attempt: 500 ms later, not before.
    expect(lot.takeDue(1700)).toEqual([]);
    const again = lot.takeDue(1750);
    expect(again.map((d) => [d.attempts, d.expired])).toEqual([[1, false]]);
    lot.repark('t', 0, 'u1', again[0]!.records, again[0]!.since, again[0]!.attempts, 1750);
    expect(lot.takeDue(11_000).map((d) => d.expired)).toEqual([true]);
  });
});
