import { describe, expect, it } from 'vitest';
import { timestampProblem } from '../../../services/domain/event-time.js';

const NOW = 1_764_000_000_000;

describe('event-time bounds', () => {
  it('refuses a view stamped in microseconds as INVALID_TIMESTAMP naming the field', () => {
    const e = timestampProblem(NOW * 1000, NOW, { maxAgeMs: undefined, maxSkewMs: 300_000 });
    expect(e?.code).toBe('INVALID_TIMESTAMP');
    expect(e?.message).toMatch(/^occurredAt 1764000000000000 .* in the future \(MAX_CLOCK_SKEW_MS 300000\)/);
    expect(e?.details.field).toBe('occurredAt');
  });

  it('accepts the edges of the window and refuses one millisecond beyond them', () => {
    const bounds = { maxAgeMs: 60_000, maxSkewMs: 1000 };
    expect(timestampProblem(NOW + 1000, NOW, bounds)).toBeUndefined();
    expect(timestampProblem(NOW + 1001, NOW, bounds)?.code).toBe('INVALID_TIMESTAMP');
    expect(timestampProblem(NOW - 60_000, NOW, bounds)).toBeUndefined();
    expect(timestampProblem(NOW - 60_001, NOW, bounds)?.message).toMatch(/60001 ms old \(MAX_EVENT_AGE_MS 60000\)/);
  });

  it('accepts any past time when no maximum age is set (replays)', () => {
    expect(timestampProblem(0, NOW, { maxAgeMs: undefined, maxSkewMs: 0 })).toBeUndefined();
  });
});
