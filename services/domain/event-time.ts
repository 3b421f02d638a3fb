import { InterestStreamError } from './errors.js';

/** The window of event time ingest accepts, relative to its own clock (config MAX_EVENT_AGE_MS, MAX_CLOCK_SKEW_MS). */
export interface EventTimeBounds {
  /** Oldest accepted age in ms; undefined accepts any past time (replays of old topics). */
  readonly maxAgeMs: number | undefined;
  /** How far in the future an event may be stamped (producer clocks drift). */
  readonly maxSkewMs: number;
}

/**
 * INVALID_TIMESTAMP for an `occurredAt` outside [now − maxAgeMs, now + maxSkewMs], else undefined.
 * Why it matters: one event stamped in microseconds moves a user's `lastEventAt` (and so their
 * history windows) centuries ahead and drags the popularity epoch with it.
 */
export function timestampProblem(occurredAt: number, now: number, bounds: EventTimeBounds): InterestStreamError | undefined {
  const latest = now + bounds.maxSkewMs;
  if (occurredAt > latest) {
    return invalidTimestamp(occurredAt, `is ${occurredAt - now} ms in the future (MAX_CLOCK_SKEW_MS ${bounds.maxSkewMs}); is it in microseconds?`);
  }
  if (bounds.maxAgeMs !== undefined && occurredAt < now - bounds.maxAgeMs) {
    return invalidTimestamp(occurredAt, `is ${now - occurredAt} ms old (MAX_EVENT_AGE_MS ${bounds.maxAgeMs})`);
  }
  return undefined;
}

function invalidTimestamp(occurredAt: number, why: string): InterestStreamError {
  return new InterestStreamError('INVALID_TIMESTAMP', `occurredAt ${occurredAt} (${isoOrRaw(occurredAt)}) ${why}`, { details: { field: 'occurredAt', occurredAt } });
}

function isoOrRaw(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'not a date' : d.toISOString();
}
