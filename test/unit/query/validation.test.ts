import { describe, expect, it } from 'vitest';
import { InterestStreamError } from '../../../services/domain/errors.js';
import { checkQueryParams, parseExclude, parseHistoryLimit, parseId, parseIncludeVector, parseLimit, parseStrategy } from '../../../services/query/validation.js';

function fieldOf(f: () => unknown): { field: unknown; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof InterestStreamError && e.code === 'INVALID_INPUT') return { field: e.details.field, message: e.message };
    throw e;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('query validation', () => {
  it('defaults limit to 20 and accepts 1..maxLimit only', () => {
    expect(parseLimit(undefined, 200)).toBe(20);
    expect(parseLimit(undefined, 5)).toBe(5);
    expect(parseLimit('1', 200)).toBe(1);
    expect(parseLimit('200', 200)).toBe(200);
    for (const bad of ['0', '-1', '201', '1e3', '2.5', 'ten', '99999999999999999999']) {
      expect(fieldOf(() => parseLimit(bad, 200))).toEqual({ field: 'limit', message: `limit must be an integer from 1 to 200, got ${JSON.stringify(bad)}` });
    }
  });

  it('defaults the history limit to HISTORY_SIZE and accepts 1..HISTORY_SIZE only', () => {
    expect(parseHistoryLimit(undefined, 20)).toBe(20);
    expect(() => parseHistoryLimit('', 7)).toThrow('limit must be an integer from 1 to 7, got ""');
    expect(() => parseStrategy('')).toThrow('strategy must be one of ema, average, trend, hybrid, multi, got ""');
    expect(() => parseIncludeVector('')).toThrow('include takes only "vector", got ""');
    expect(parseHistoryLimit('3', 20)).toBe(3);
    expect(parseHistoryLimit(20, 20)).toBe(20);
    for (const bad of ['0', '21', 'all']) {
      expect(fieldOf(() => parseHistoryLimit(bad, 20))).toEqual({ field: 'limit', message: `limit must be an integer from 1 to 20, got ${JSON.stringify(bad)}` });
    }
  });

  it('knows the five strategies and names the bad one', () => {
    expect(parseStrategy(undefined)).toBe('ema');
    expect(parseStrategy('trend')).toBe('trend');
    expect(fieldOf(() => parseStrategy('popular'))).toEqual({ field: 'strategy', message: 'strategy must be one of ema, average, trend, hybrid, multi, got "popular"' });
  });

  it('excludes seen and disliked by default; only an explicit list lets disliked items through', () => {
    expect(parseExclude(undefined)).toEqual({ seen: true, disliked: true });
    expect(parseExclude(['seen'])).toEqual({ seen: true, disliked: false });
    expect(parseExclude(['disliked', 'seen'])).toEqual({ seen: true, disliked: true });
    expect(parseExclude(['none'])).toEqual({ seen: false, disliked: false });
    expect(parseExclude([''])).toEqual({ seen: false, disliked: false });
    expect(fieldOf(() => parseExclude(['seen,liked'])).field).toBe('exclude');
  });

  it('rejects empty, over-long and control-character ids', () => {
    expect(parseId('userId', 'u-1')).toBe('u-1');
    expect(fieldOf(() => parseId('userId', '')).field).toBe('userId');
    expect(fieldOf(() => parseId('itemId', 'x'.repeat(257))).field).toBe('itemId');
    expect(fieldOf(() => parseId('userId', 'a\nb')).field).toBe('userId');
    expect(fieldOf(() => parseId('userId', 'a{b}')).field).toBe('userId');
  });

  it('rejects unknown and repeated query parameters by name', () => {
    expect(checkQueryParams({ limit: '5' }, ['limit'])).toEqual({ limit: '5' });
    expect(fieldOf(() => checkQueryParams({ limt: '5' }, ['limit']))).toEqual({ field: 'limt', message: 'unknown query parameter "limt" (this route takes limit)' });
    expect(fieldOf(() => checkQueryParams({ limit: ['1', '2'] }, ['limit'])).field).toBe('limit');
  });

  it('include takes only vector', () => {
    expect(parseIncludeVector(undefined)).toBe(false);
    expect(parseIncludeVector('vector')).toBe(true);
    expect(fieldOf(() => parseIncludeVector('secrets')).field).toBe('include');
  });
});
