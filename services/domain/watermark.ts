/** Log positions: ordering an event against the position a user's state has reached. */
import { InterestStreamError } from './errors.js';
import type { Watermark } from './types.js';

/**
 * Orders an event position `a` against a state's watermark `b`: 1 when `a` is after `b` (or there is
 * no `b`), 0 when equal, -1 when before, and null when they are on different partitions, where offsets
 * say nothing and only event-id de-duplication can tell a redelivery.
 */
export function compareWatermark(a: Watermark, b: Watermark | null): -1 | 0 | 1 | null {
  if (b === null) return 1;
  if (a.partition !== b.partition) return null;
  const x = offsetValue(a.offset);
  const y = offsetValue(b.offset);
  return x > y ? 1 : x < y ? -1 : 0;
}

/** True when an event at `event` must still be considered for a state at `state` (see compareWatermark). */
export function isNewer(event: Watermark, state: Watermark | null): boolean {
  const order = compareWatermark(event, state);
  return order === null || order > 0;
}

const OFFSET = /^\d+$/;
/** Up to 15 decimal digits are below 2^53: a double holds them exactly. */
const EXACT_DIGITS = 15;

/**
 * The offset as a number when it has at most 15 digits (every Kafka offset for a long while), else
 * as a bigint: the same order either way, and one watermark check per folded event no longer
 * allocates two bigints. A number and a bigint compare by value in JS.
 */
function offsetValue(offset: string): number | bigint {
  if (offset.length === 0 || offset.length > EXACT_DIGITS) return parseOffset(offset);
  let value = 0;
  for (let i = 0; i < offset.length; i++) {
    const digit = offset.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return parseOffset(offset);
    value = value * 10 + digit;
  }
  return value;
}

function parseOffset(offset: string): bigint {
  if (!OFFSET.test(offset)) {
    throw new InterestStreamError('INVALID_INPUT', `watermark offset "${offset}" is not a non-negative integer`);
  }
  return BigInt(offset);
}
