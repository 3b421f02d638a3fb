import type { InteractionEvent } from '../domain/types.js';
import type { LogRecord } from '../domain/log-records.js';

/** What parking needs of one decoded event of a batch. */
export interface Parkable {
  readonly event: InteractionEvent;
  readonly record: LogRecord;
}

interface ParkedUser {
  readonly topic: string;
  readonly partition: number;
  readonly userId: string;
  readonly records: LogRecord[];
  /** When the user's first parked event was parked: the UNKNOWN_ITEM_PARK_MS clock. */
  readonly since: number;
  attempts: number;
  retryAt: number;
}

/** Retry delays: 250 ms doubling to at most 30 s, so a new item is picked up within seconds but a dead one costs little. */
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 30_000;

/**
 * Events whose item is not in the catalogue yet, parked per (partition, user) in arrival order.
 *
 * From a user's first unknown-item event on, all of that user's later events of the partition are
 * parked behind it, so a user's events still fold in order; the partition's other users go on. The
 * partition's offsets are committed only up to its lowest parked offset, so a crash or a rebalance
 * loses nothing: the events are fetched again (the ones already folded are stale) and parked again.
 * See docs/design.md, "Late catalogue items".
 */
export class ParkingLot {
  private readonly users = new Map<string, ParkedUser>();

  constructor(private readonly parkMs: number) {}

  /** True when parking is on (UNKNOWN_ITEM_PARK_MS > 0). */
  get enabled(): boolean {
    return this.parkMs > 0;
  }

  get size(): number {
    let n = 0;
    for (const u of this.users.values()) n += u.records.length;
    return n;
  }

  isParked(topic: string, partition: number, userId: string): boolean {
    return this.users.has(key(topic, partition, userId));
  }

  /** Parks `records` (in order) behind anything the user already has parked. */
  park(topic: string, partition: number, userId: string, records: readonly LogRecord[], now: number): void {
    const k = key(topic, partition, userId);
    const user = this.users.get(k) ?? { topic, partition, userId, records: [], since: now, attempts: 0, retryAt: now + FIRST_RETRY_MS };
    user.records.push(...records);
    this.users.set(k, user);
  }

  /**
   * Takes out the users whose retry is due, with `expired` set when they have waited
   * UNKNOWN_ITEM_PARK_MS: their still-unknown events then go to the DLQ.
   */
  takeDue(now: number): Array<{ topic: string; partition: number; records: LogRecord[]; expired: boolean; since: number; attempts: number }> {
    const due = [...this.users.entries()].filter(([, u]) => u.retryAt <= now);
    for (const [k] of due) this.users.delete(k);
    return due.map(([, u]) => ({ topic: u.topic, partition: u.partition, records: u.records, expired: now - u.since >= this.parkMs, since: u.since, attempts: u.attempts }));
  }

  /** Puts back a user taken by `takeDue` whose item is still unknown, keeping its park clock. */
  repark(topic: string, partition: number, userId: string, records: readonly LogRecord[], since: number, attempts: number, now: number): void {
    this.park(topic, partition, userId, records, now);
    const user = this.users.get(key(topic, partition, userId))!;
    Object.assign(user, { since: Math.min(user.since, since), attempts: attempts + 1, retryAt: now + Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts + 1)) });
  }

  /** The lowest parked offset of a partition: its commits must stay at or below it. */
  lowestOffset(topic: string, partition: number): bigint | undefined {
    let low: bigint | undefined;
    for (const u of this.users.values()) {
      if (u.topic !== topic || u.partition !== partition) continue;
      const first = BigInt(u.records[0]!.offset);
      if (low === undefined || first < low) low = first;
    }
    return low;
  }

  /** Forgets everything (a rebalance: the partitions are fetched again from their last commit). */
  clear(): void {
    this.users.clear();
  }
}

function key(topic: string, partition: number, userId: string): string {
  return `${topic}\u0000${partition}\u0000${userId}`;
}

/**
 * Splits one user's events of a batch: those to fold now, and those to park — everything from the
 * first event whose item is unknown, or all of them when the user already has events parked.
 */
export function splitForParking<T extends Parkable>(events: readonly T[], alreadyParked: boolean, known: (itemId: string) => boolean): { fold: T[]; park: T[] } {
  if (alreadyParked) return { fold: [], park: [...events] };
  const first = events.findIndex((p) => (p.event.type === 'VIEW' || p.event.type === 'DISLIKE') && !known(p.event.itemId));
  return first < 0 ? { fold: [...events], park: [] } : { fold: events.slice(0, first), park: events.slice(first) };
}
