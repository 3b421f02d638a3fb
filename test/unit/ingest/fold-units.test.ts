import { describe, expect, it } from 'vitest';
import { foldUnits } from '../../../services/ingest/interactions-consumer.js';
import type { RecordBatch } from '../../../services/domain/log-records.js';

/** A batch of `partition` whose records carry values of these sizes. */
function batch(partition: number, ...sizes: number[]): { batch: RecordBatch } {
  const records = sizes.map((n, i) => ({ topic: 't', partition, offset: String(i), key: null, value: Buffer.alloc(n), headers: undefined, timestamp: 0 }));
  return { batch: { topic: 't', partition, lastOffset: String(sizes.length - 1), lag: 0, records } };
}

const partitions = (units: Array<Array<{ batch: RecordBatch }>>) => units.map((u) => u.map((g) => g.batch.partition));

describe('foldUnits: batches fetched together, cut into fold units', () => {
  it('folds small batches of every partition as one unit', () => {
    expect(partitions(foldUnits([batch(0, 100, 100), batch(1, 50), batch(2, 300)], 1_000))).toEqual([[0, 1, 2]]);
  });

  it('starts a new unit before the byte budget would be passed, keeping the order', () => {
    expect(partitions(foldUnits([batch(0, 600), batch(1, 300), batch(2, 200), batch(3, 900)], 1_000))).toEqual([[0, 1], [2], [3]]);
  });

  it('gives a batch larger than the budget a unit of its own (a backlog folds one full fetch at a time)', () => {
    expect(partitions(foldUnits([batch(0, 5_000), batch(1, 4_000, 2_000)], 1_000))).toEqual([[0], [1]]);
    expect(foldUnits([], 1_000)).toEqual([]);
  });
});
