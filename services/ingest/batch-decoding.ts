import type { LogRecord } from '../domain/log-records.js';
import { timestampProblem, type EventTimeBounds } from '../domain/event-time.js';
import { InterestStreamError, toInterestStreamError } from '../domain/errors.js';
import { decodeInteraction } from '../core/events.js';
import type { OpenedBatch } from '../domain/shred/shredding.js';
import type { Pending } from './user-fold.js';

/** A batch's events by user, in offset order, and how many sealed events could not be opened (their user is erased). */
export interface DecodedBatch {
  readonly byUser: Map<string, Pending[]>;
  readonly shredded: number;
}

/**
 * Decodes a batch's records and groups their events by user. A record that cannot be an event
 * (no value, undecodable, stamped outside `eventTime`) goes to `fail`; a sealed one whose user key
 * is gone is only counted.
 */
export function decodeAndGroup(records: readonly LogRecord[], opened: OpenedBatch, eventTime: EventTimeBounds | undefined, fail: (r: LogRecord, e: InterestStreamError) => void): DecodedBatch {
  const byUser = new Map<string, Pending[]>();
  let shredded = 0;
  for (const record of records) {
    try {
      if (record.value === null) throw new InterestStreamError('DECODE_FAILED', 'message has no value (tombstone records are not events)');
      const plain = opened.plain(record.value);
      if (plain === undefined) {
        shredded++;
        continue;
      }
      const event = decodeInteraction(plain);
      const badTime = eventTime && timestampProblem(event.occurredAt, Date.now(), eventTime);
      if (badTime) throw badTime;
      const list = byUser.get(event.userId);
      const p = { event, record, watermark: { partition: record.partition, offset: record.offset } };
      if (list) list.push(p);
      else byUser.set(event.userId, [p]);
    } catch (e) {
      fail(record, toInterestStreamError(e, 'DECODE_FAILED'));
    }
  }
  return { byUser, shredded };
}

/** The catalogue items the batch's events point at (views and dislikes). */
export function neededItems(byUser: ReadonlyMap<string, readonly Pending[]>): Set<string> {
  const ids = new Set<string>();
  for (const list of byUser.values()) {
    for (const p of list) if (p.event.type === 'VIEW' || p.event.type === 'DISLIKE') ids.add(p.event.itemId);
  }
  return ids;
}
