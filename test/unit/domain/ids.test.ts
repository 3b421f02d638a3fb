import { describe, expect, it } from 'vitest';
import { ID_PATTERN, idProblem, MAX_ID_LENGTH } from '../../../services/domain/ids.js';

describe('the id rule', () => {
  it.each([
    ['u', undefined],
    ['x'.repeat(256), undefined],
    ['😀'.repeat(256), undefined],
    ['é/ü %20 :?#', undefined],
    ['', 'is empty'],
    ['.', 'may not be "." or ".." (a path segment)'],
    ['..', 'may not be "." or ".." (a path segment)'],
    ['...', undefined],
    ['x'.repeat(257), 'is 257 characters long, at most 256 allowed'],
    ['😀'.repeat(257), 'is 257 characters long, at most 256 allowed'],
    ['a{b', 'may not contain control characters or braces'],
    ['a}b', 'may not contain control characters or braces'],
    ['a\nb', 'may not contain control characters or braces'],
    ['a\u0000', 'may not contain control characters or braces'],
    ['a\u007f', 'may not contain control characters or braces'],
    ['a\u0085', 'may not contain control characters or braces'],
    // JSON's "\ud800" and "\udc00" would both reach Redis and the wire as U+FFFD: one user for two ids
    ['a\ud800', 'may not contain an unpaired UTF-16 surrogate (it is not Unicode text)'],
    ['\udc00b', 'may not contain an unpaired UTF-16 surrogate (it is not Unicode text)'],
    ['😀\ud83d', 'may not contain an unpaired UTF-16 surrogate (it is not Unicode text)'],
  ])('%j: %s', (id, problem) => {
    expect(idProblem(id)).toBe(problem);
  });

  it('is the same rule as the pattern and maxLength the OpenAPI document publishes', () => {
    const re = new RegExp(ID_PATTERN, 'u');
    for (const id of ['u', '.', '..', '...', '.a', 'a{b', 'a}b', 'a\tb', 'a\u009fb', 'ok-id_1', '😀', 'a\ufffd']) {
      expect(re.test(id)).toBe(idProblem(id) === undefined);
    }
    expect(MAX_ID_LENGTH).toBe(256);
  });
});
