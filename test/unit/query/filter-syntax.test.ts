import { describe, expect, it } from 'vitest';
import { parseFilterSyntax } from '../../../services/query/filter-syntax.js';
import { InterestStreamError } from '../../../services/domain/errors.js';

function failure(text: string): InterestStreamError {
  try {
    parseFilterSyntax(text);
  } catch (e) {
    if (e instanceof InterestStreamError) return e;
    throw e;
  }
  throw new Error(`no error for ${text}`);
}

describe('parseFilterSyntax', () => {
  it('maps equality, comparisons, set membership and ranges onto the Filter type', () => {
    expect(parseFilterSyntax('category:scifi,year>=1990,lang:en|fr,rating:3..5,price<9.5,new:true')).toEqual({
      must: [
        { key: 'category', eq: 'scifi' },
        { key: 'year', range: { gte: 1990 } },
        { key: 'lang', in: ['en', 'fr'] },
        { key: 'rating', range: { gte: 3, lte: 5 } },
        { key: 'price', range: { lt: 9.5 } },
        { key: 'new', eq: true },
      ],
    });
  });

  it('keeps quoted values as strings, with commas, bars and escaped quotes inside', () => {
    expect(parseFilterSyntax('code:"007",title:"a, b|c \\"d\\"",n:"12"|13')).toEqual({
      must: [
        { key: 'code', eq: '007' },
        { key: 'title', eq: 'a, b|c "d"' },
        { key: 'n', in: ['12', 13] },
      ],
    });
  });

  it('accepts half-open ranges and negative numbers', () => {
    expect(parseFilterSyntax('year:1990..,temp:-5..-1,x:..2')).toEqual({
      must: [
        { key: 'year', range: { gte: 1990 } },
        { key: 'temp', range: { gte: -5, lte: -1 } },
        { key: 'x', range: { lte: 2 } },
      ],
    });
  });

  it('treats an absent or blank filter as none', () => {
    expect(parseFilterSyntax(undefined)).toBeUndefined();
    expect(parseFilterSyntax('  ')).toBeUndefined();
  });

  it.each([
    ['year>=abc', 'condition 1 ("year>=abc"): "abc" is not a number'],
    ['category=scifi', 'expected one of >= <= > < : after "category"'],
    ['category:', 'missing value after "category:"'],
    [':scifi', 'must start with a payload key'],
    ['a:1,b:"open', 'unterminated quote'],
    ['year:5..1', 'range is empty'],
    ['a:x"y"', 'a quote may only enclose a whole value'],
  ])('rejects %j with field "filter" and a message naming the problem', (text, message) => {
    const e = failure(text);
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.details.field).toBe('filter');
    expect(e.message).toContain(message);
  });
});
